import type { Check } from '../check.js';
import { byUid } from './key-groups.js';
import type { ListedState } from '../../classify/record-pass.js';

/** The states of a key that died. */
const LINGERING: readonly ListedState[] = ['revoked', 'expired', 'invalidated', 'dead'];

export const deadKeysLingering: Check = {
  id: 'dead_keys_lingering',
  severity: 'info',
  rationale:
    'Revoked and expired keys are unlinked gc_delay seconds (300 by default) after they died, invalidated ones at once; ' +
    'one still listed is pinned by a process or a keyring that still refers to it (security/keys/gc.c, keyrings(7)).',
  fix:
    'Usually nothing: they go within kernel.keys.gc_delay. If they stay, a process still uses one (a revoked session or process keyring): find the owner\'s processes (ps -u UID) and end the one.',
  run(ctx) {
    const dead = LINGERING.flatMap((state) => ctx.reportableInState(state)).sort((a, b) => a.line - b.line);
    return [...byUid(dead)].map(([uid, list]) => {
      const counts = new Map<string, number>();
      for (const k of list) counts.set(k.state, (counts.get(k.state) ?? 0) + 1);
      const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
      // A dead keyring outlives gc_delay while a process still uses it as its session or process keyring: the
      // process to end is the uid's. A dead key that is no keyring is unlinked by the collector.
      const ring = list.find((k) => k.type.name === 'keyring');
      const processes = `\`ps -o pid,etime,args -u ${uid}\``;
      const pinned =
        ring !== undefined
          ? `If they stay, the dead keyring 0x${ring.serial} is pinned by a process of uid ${uid} that still uses it as its session or process keyring: find it with ${processes} and end it.`
          : `If they stay, a process of uid ${uid} still refers to them (${processes}): end it.`;
      return {
        check: 'dead_keys_lingering',
        severity: 'info' as const,
        uid,
        message: `uid ${uid} still has ${summary} key${list.length > 1 ? 's' : ''} listed`,
        remediation:
          `Expired and revoked keys are normal for up to kernel.keys.gc_delay (${ctx.inventory.limits.gc_delay ?? 300} s) after they died; ` +
          `invalidated ones are collected at once unless something pins them. ${pinned}`,
      };
    });
  },
};
