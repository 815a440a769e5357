import type { Check } from '../check.js';
import { quotaFindings } from './quota-shared.js';

export const quotaKeysNearLimit: Check = {
  id: 'quota_keys_near_limit',
  severity: 'warning',
  rationale:
    'A uid at its key quota (kernel.keys.maxkeys, root_maxkeys for root) cannot create another key or keyring: ' +
    'runc, crun and podman fail to start containers with "disk quota exceeded" (keyrings(7), security/keys/key.c key_alloc()).',
  fix:
    'Raise kernel.keys.maxkeys (root_maxkeys for root) in /etc/sysctl.d; container hosts use 20000 per user and 1000000 for root. Or create fewer keyrings: runc --no-new-keyring, keyring = false in containers.conf.',
  run: (ctx) => quotaFindings(ctx, 'quota_keys_near_limit', (u) => u.qnkeys, (u) => u.maxkeys, 'keys of key quota'),
};
