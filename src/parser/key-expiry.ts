/**
 * The expiry column, printed `%4s` by security/keys/proc.c proc_keys_show(): `perm` (no expiry),
 * `expd` (now >= expiry; revoked keys too, since key_revoke() stores the revocation time there),
 * else the remaining time in ONE unit, truncated: s < 60, m < 3600, h < 86400, d < 604800, else w.
 * kernel-format.md §1.6.
 */
export const EXPIRY_UNITS = ['s', 'm', 'h', 'd', 'w'] as const;
export type ExpiryUnit = (typeof EXPIRY_UNITS)[number];
export const EXPIRY_UNIT_SECONDS: Record<ExpiryUnit, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export interface KeyExpiry {
  /** The column as printed, without padding. */
  raw: string;
  kind: 'perm' | 'expd' | 'timeout';
  /**
   * Remaining seconds, a lower bound (the kernel truncates): `null` for `perm`, 0 for `expd`.
   * The true remaining time is in [seconds, maxSeconds].
   */
  seconds: number | null;
  /** Upper bound of the remaining time (equal to `seconds` for the `s` unit and for `expd`). */
  maxSeconds: number | null;
  unit: ExpiryUnit | null;
}

export function decodeKeyExpiry(raw: string): KeyExpiry | null {
  if (raw === 'perm') return { raw, kind: 'perm', seconds: null, maxSeconds: null, unit: null };
  if (raw === 'expd') return { raw, kind: 'expd', seconds: 0, maxSeconds: 0, unit: null };
  const unit = raw[raw.length - 1] as ExpiryUnit;
  const digits = raw.slice(0, -1);
  if (!(unit in EXPIRY_UNIT_SECONDS) || !/^[0-9]{1,10}$/.test(digits)) return null;
  const n = Number(digits);
  const size = EXPIRY_UNIT_SECONDS[unit];
  // The kernel never prints 0 of a unit, nor a count that belongs to the next unit (e.g. 60s, 24h).
  const limit: Record<ExpiryUnit, number> = { s: 59, m: 59, h: 23, d: 6, w: Number.MAX_SAFE_INTEGER };
  if (n < 1 || n > limit[unit]) return null;
  return { raw, kind: 'timeout', seconds: n * size, maxSeconds: unit === 's' ? n : n * size + size - 1, unit };
}

/** What the kernel prints for `remaining` seconds (> 0): the inverse of decodeKeyExpiry, used by generators. */
export function formatKeyExpiry(remaining: number | null): string {
  if (remaining === null) return 'perm';
  if (remaining <= 0) return 'expd';
  if (remaining < 60) return `${remaining}s`;
  if (remaining < 3600) return `${Math.floor(remaining / 60)}m`;
  if (remaining < 86400) return `${Math.floor(remaining / 3600)}h`;
  if (remaining < 604800) return `${Math.floor(remaining / 86400)}d`;
  return `${Math.floor(remaining / 604800)}w`;
}
