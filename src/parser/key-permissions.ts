/**
 * The perm column: a 32-bit mask printed `%08x` (`%06x` before 2.6.14, without the possessor byte).
 * Bytes from most to least significant: possessor, user, group, other; bits per byte from
 * include/linux/key.h (KEY_POS_VIEW … KEY_POS_SETATTR). kernel-format.md §1.7.
 */
export const PERMISSION_RIGHTS = ['view', 'read', 'write', 'search', 'link', 'setattr'] as const;
export type PermissionRight = (typeof PERMISSION_RIGHTS)[number];
export type PermissionSet = Record<PermissionRight, boolean>;

export const PERMISSION_SUBJECTS = ['possessor', 'user', 'group', 'other'] as const;
export type PermissionSubject = (typeof PERMISSION_SUBJECTS)[number];

export interface KeyPermissions {
  /** The mask as printed (8 or 6 lower-case hex digits). */
  hex: string;
  mask: number;
  possessor: PermissionSet;
  user: PermissionSet;
  group: PermissionSet;
  other: PermissionSet;
  /** Bits outside 0x3f3f3f3f; KEYCTL_SETPERM rejects them (security/keys/keyctl.c), so non-zero means "not from a kernel". */
  invalidBits: number;
}

/** The bits KEYCTL_SETPERM accepts (KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL). */
export const VALID_PERMISSION_MASK = 0x3f3f3f3f;

export function decodePermissionByte(byte: number): PermissionSet {
  return {
    view: (byte & 0x01) !== 0,
    read: (byte & 0x02) !== 0,
    write: (byte & 0x04) !== 0,
    search: (byte & 0x08) !== 0,
    link: (byte & 0x10) !== 0,
    setattr: (byte & 0x20) !== 0,
  };
}

/** Decode the perm column; `null` unless it is 8 (or legacy 6) lower-case hex digits. */
export function decodeKeyPermissions(hex: string): KeyPermissions | null {
  if ((hex.length !== 8 && hex.length !== 6) || !/^[0-9a-f]+$/.test(hex)) return null;
  const mask = Number.parseInt(hex, 16) >>> 0;
  return {
    hex,
    mask,
    possessor: decodePermissionByte((mask >>> 24) & 0xff),
    user: decodePermissionByte((mask >>> 16) & 0xff),
    group: decodePermissionByte((mask >>> 8) & 0xff),
    other: decodePermissionByte(mask & 0xff),
    invalidBits: (mask & ~VALID_PERMISSION_MASK) >>> 0,
  };
}

/** `alswrv`-style string as keyctl(1) prints one byte (setattr, link, search, write, read, view). */
export function formatPermissionByte(set: PermissionSet): string {
  return (
    (set.setattr ? 'a' : '-') +
    (set.link ? 'l' : '-') +
    (set.search ? 's' : '-') +
    (set.write ? 'w' : '-') +
    (set.read ? 'r' : '-') +
    (set.view ? 'v' : '-')
  );
}
