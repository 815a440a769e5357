import type { Check } from '../check.js';
import { quotaFindings } from './quota-shared.js';

export const quotaBytesNearLimit: Check = {
  id: 'quota_bytes_near_limit',
  severity: 'warning',
  rationale:
    'A uid at its byte quota (kernel.keys.maxbytes, root_maxbytes for root) cannot add keys however few it has: ' +
    'Kerberos ticket caches and per-container keyrings usually exhaust bytes before keys (keyrings(7), security/keys/key.c).',
  fix:
    'Raise kernel.keys.maxbytes (root_maxbytes for root) in /etc/sysctl.d; container hosts use 500000 per user and 25000000 for root. Kerberos: move the credential cache from KEYRING: to KCM:.',
  run: (ctx) => quotaFindings(ctx, 'quota_bytes_near_limit', (u) => u.qnbytes, (u) => u.maxbytes, 'bytes of byte quota'),
};
