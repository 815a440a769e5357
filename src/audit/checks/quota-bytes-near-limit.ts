import type { Check } from '../check.js';
import { quotaFindings } from './quota-shared.js';

export const quotaBytesNearLimit: Check = {
  id: 'quota_bytes_near_limit',
  severity: 'warning',
  rationale:
    'A uid at its byte quota (kernel.keys.maxbytes, root_maxbytes for root) cannot add keys however few it has: ' +
    'Kerberos ticket caches and per-container keyrings usually exhaust bytes before keys (keyrings(7), security/keys/key.c).',
  run: (ctx) => quotaFindings(ctx, 'quota_bytes_near_limit', (u) => u.qnbytes, (u) => u.maxbytes, 'bytes of byte quota'),
};
