/**
 * The flags column of /proc/keys: security/keys/proc.c proc_keys_show() prints seven `%c`
 * (six before Linux 3.5, which added `i` for KEYCTL_INVALIDATE). kernel-format.md §1.4.
 */
export interface KeyFlags {
  /** `I`: instantiated, positively or negatively (key->state != KEY_IS_UNINSTANTIATED). */
  instantiated: boolean;
  /** `R`: KEY_FLAG_REVOKED. */
  revoked: boolean;
  /** `D`: KEY_FLAG_DEAD (key type unregistered; practically invisible since the GC zeroes the perm). */
  dead: boolean;
  /** `Q`: KEY_FLAG_IN_QUOTA, charged to the owner's quota. Never set on keys the kernel allocates NOT_IN_QUOTA. */
  inQuota: boolean;
  /** `U`: KEY_FLAG_USER_CONSTRUCT, an upcall to /sbin/request-key is building it. */
  underConstruction: boolean;
  /** `N`: negatively instantiated (key->state < 0). */
  negative: boolean;
  /** `i`: KEY_FLAG_INVALIDATED. Always false in the 6-character (pre-3.5) format. */
  invalidated: boolean;
}

export const KEY_FLAG_LETTERS = ['I', 'R', 'D', 'Q', 'U', 'N', 'i'] as const;

/** Decode 6 or 7 flag characters; `null` if any position holds something other than its letter or `-`. */
export function decodeKeyFlags(raw: string): KeyFlags | null {
  if (raw.length !== 6 && raw.length !== 7) return null;
  const on: boolean[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === KEY_FLAG_LETTERS[i]) on.push(true);
    else if (c === '-') on.push(false);
    else return null;
  }
  return {
    instantiated: on[0] === true,
    revoked: on[1] === true,
    dead: on[2] === true,
    inQuota: on[3] === true,
    underConstruction: on[4] === true,
    negative: on[5] === true,
    invalidated: on[6] === true,
  };
}
