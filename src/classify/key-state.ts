/**
 * One state per key, from the flags and the expiry column (security/keys/proc.c proc_keys_show();
 * kernel-format.md §1.4, §1.6). Precedence: dead > invalidated > revoked > negative > under_construction >
 * expired > instantiated.
 */
import type { KeyRecord } from '../parser/proc-keys.js';

export const KEY_STATES = [
  'instantiated',
  'negative',
  'under_construction',
  'revoked',
  'expired',
  'invalidated',
  'dead',
] as const;
export type KeyState = (typeof KEY_STATES)[number];

export function classifyKeyState(record: Pick<KeyRecord, 'flags' | 'expiry'>): KeyState {
  const f = record.flags;
  if (f.dead) return 'dead'; // KEY_FLAG_DEAD: type unregistered, being collected (gc.c)
  if (f.invalidated) return 'invalidated'; // KEYCTL_INVALIDATE (key.c key_invalidate())
  if (f.revoked) return 'revoked'; // key_revoke()
  if (f.negative) return 'negative'; // key_reject_and_link() / KEYCTL_NEGATE, state < 0
  if (f.underConstruction || !f.instantiated) return 'under_construction'; // request_key.c construct_alloc_key()
  if (record.expiry.kind === 'expd') return 'expired';
  return 'instantiated';
}
