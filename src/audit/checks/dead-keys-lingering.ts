import { KEY_STATES } from '../../classify/key-state.js';
import type { Check } from '../check.js';
import { byUid, reportableRows } from './key-groups.js';

/** By state index: 1 for the states of a key that died. */
const LINGERING = Uint8Array.from(KEY_STATES, (s) => (['revoked', 'expired', 'invalidated', 'dead'].includes(s) ? 1 : 0));

export const deadKeysLingering: Check = {
  id: 'dead_keys_lingering',
  severity: 'info',
  rationale:
    'Revoked and expired keys are unlinked gc_delay seconds (300 by default) after they died, invalidated ones at once; ' +
    'one still listed is pinned by a process or a keyring that still refers to it (security/keys/gc.c, keyrings(7)).',
  fix:
    'Usually nothing: they go within kernel.keys.gc_delay. If they stay, find the process whose session keyring they are, or the keyring that links them (keyctl show), and end or clear it.',
  run(ctx) {
    const { states, table } = ctx.inventory.byRow;
    const index = ctx.inventory.byRow.index;
    // The lingering states' lists merged back into file order (row order), or one pass over every row.
    const listed = index === undefined ? undefined : KEY_STATES.flatMap((_s, k) => (LINGERING[k] === 1 ? (index.byState[k] as number[]) : [])).sort((a, b) => a - b);
    const dead = reportableRows(ctx, (i) => LINGERING[states[i] as number] === 1, listed);
    return [...byUid(ctx, dead)].map(([uid, list]) => {
      const counts = new Map<number, number>();
      for (const i of list) counts.set(states[i] as number, (counts.get(states[i] as number) ?? 0) + 1);
      const summary = [...counts].map(([state, n]) => `${n} ${KEY_STATES[state]}`).join(', ');
      return {
        check: 'dead_keys_lingering',
        severity: 'info' as const,
        uid,
        message: `uid ${uid} still has ${summary} key${list.length > 1 ? 's' : ''} listed`,
        remediation:
          `Expired and revoked keys are normal for up to kernel.keys.gc_delay (${ctx.inventory.limits.gc_delay ?? 300} s) after they died; ` +
          'invalidated ones are collected at once unless something pins them, usually a process still using one as its session keyring. ' +
          `If they stay, find that process or the keyring that links them (\`keyctl show 0x${table.serialHex(list[0] as number)}\`) and end or clear it.`,
      };
    });
  },
};
