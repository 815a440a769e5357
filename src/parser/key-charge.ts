/**
 * What a key charges to its owner's byte quota, as far as /proc/keys tells: key.c key_alloc() charges
 * desclen + 1 + type->def_datalen, and instantiation reserves the payload instead (key_payload_reserve()):
 * the data length for user and logon keys, 4 bytes per link for keyrings (keyring.c KEYQUOTA_LINK_BYTES).
 * The charge is only a lower bound (not exact) when it can be larger than what the line shows:
 *   - keyrings: `keyctl unlink` gives the 4 bytes back, but when the garbage collector drops the link to a
 *     dead key (revoked, invalidated, expired) the keyring keeps the charge until it is cleared, so a keyring
 *     charges at least 4 bytes per link it shows (observed on Linux 6.18: see test/fixtures/README.md);
 *   - types whose reservation /proc/keys does not show (asymmetric, encrypted, dns_resolver, ...).
 *
 * classify/key-trust.ts sums them by owner to check /proc/key-users' totals.
 */
import type { KeySummary } from './key-summary.js';

/** The bytes a key charges at least: `positive` is I without N. */
export function chargeMin(descriptionLength: number, type: string, positive: boolean, s: KeySummary | null): number {
  const base = descriptionLength + 1;
  if (!positive || s === null) return base;
  if (s.kind === 'keyring' && s.capacity === undefined && type === 'keyring') return base + 4 * s.links;
  if (s.kind === 'length' && (type === 'user' || type === 'logon')) return base + s.bytes;
  return base;
}

/** Whether chargeMin() is exactly what the key charges. */
export function chargeExact(type: string, positive: boolean, s: KeySummary | null): boolean {
  if (type !== 'user' && type !== 'logon') return false;
  return !positive || s?.kind === 'length';
}
