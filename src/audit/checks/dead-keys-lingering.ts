import type { InventoryKey } from '../../classify/inventory.js';
import type { Check } from '../check.js';
import { byUid } from './key-groups.js';

/** The states of a key that died. */
const LINGERING: ReadonlySet<string> = new Set(['revoked', 'expired', 'invalidated', 'dead']);

export const deadKeysLingering: Check = {
  id: 'dead_keys_lingering',
  severity: 'info',
  rationale:
    'Revoked and expired keys are unlinked gc_delay seconds (300 by default) after they died, invalidated ones at once; ' +
    'one still listed is pinned by a process or a keyring that still refers to it (security/keys/gc.c, keyrings(7)).',
  fix:
    'Usually nothing: they go within kernel.keys.gc_delay. If they stay, find the process whose session keyring they are, or the keyring that links them (keyctl show), and end or clear it.',
  run(ctx) {
    const dead = ctx.reportable.filter((k) => LINGERING.has(k.state));
    return [...byUid(dead)].map(([uid, list]) => {
      const counts = new Map<string, number>();
      for (const k of list) counts.set(k.state, (counts.get(k.state) ?? 0) + 1);
      const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
      return {
        check: 'dead_keys_lingering',
        severity: 'info' as const,
        uid,
        message: `uid ${uid} still has ${summary} key${list.length > 1 ? 's' : ''} listed`,
        remediation:
          `Expired and revoked keys are normal for up to kernel.keys.gc_delay (${ctx.inventory.limits.gc_delay ?? 300} s) after they died; ` +
          'invalidated ones are collected at once unless something pins them, usually a process still using one as its session keyring. ' +
          `If they stay, find that process or the keyring that links them (\`keyctl show 0x${(list[0] as InventoryKey).serial}\`) and end or clear it.`,
      };
    });
  },
};
