import type { Check } from '../check.js';
import { byUid, examples } from './key-groups.js';

export const negativeKeys: Check = {
  id: 'negative_keys',
  severity: 'info',
  rationale:
    'A negative key caches a failed request_key lookup (an upcall that failed, KEYCTL_NEGATE or KEYCTL_REJECT) for its ' +
    'timeout, 60 s by default, during which the same lookup fails at once (security/keys/request_key.c, keyrings(7)).',
  fix:
    'Usually nothing: they expire in a minute. If they keep appearing, fix the request-key handler (/etc/request-key.conf, /etc/request-key.d) or the service that looks the keys up.',
  run(ctx) {
    const negative = ctx.reportableInState('negative');
    return [...byUid(negative)].map(([uid, list]) => ({
      check: 'negative_keys',
      severity: 'info' as const,
      uid,
      message: `uid ${uid} has ${list.length} negative key${list.length > 1 ? 's' : ''} (failed lookups): ${examples(list)}`,
      remediation: 'Normal for a minute after a failed lookup; if they keep coming back, fix the request-key handler (/etc/request-key.conf, /etc/request-key.d) or the service that looks them up.',
    }));
  },
};
