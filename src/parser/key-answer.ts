/**
 * What the kernel says about a serial when asked with KEYCTL_DESCRIBE (security/keys/keyctl.c
 * keyctl_describe_key(): "%s;%d;%d;%08x;%s" of type, uid, gid, perm and description), or why it would not say.
 * The parser trusts a /proc/keys record only as far as the kernel's answer for its serial confirms it.
 */

/** The kernel described the key: these are its exact type name, owner, group, perm and description. */
export interface KeyDescribed {
  serial: number;
  errno: null;
  /** The full type name (not the 9 characters /proc/keys prints). */
  type: string;
  uid: number;
  gid: number;
  perm: number;
  /** The description byte for byte, as a latin1 byte string (newlines and escape bytes included). */
  description: string;
}

/**
 * The kernel refused: ENOKEY (no such key, or invalidated), EKEYEXPIRED and EKEYREVOKED (the key exists but is
 * dead: key_validate() refuses to describe it), EACCES (not viewable by the asker), or another errno name.
 */
export interface KeyRefused {
  serial: number;
  errno: string;
}

export type KeyAnswer = KeyDescribed | KeyRefused;

/**
 * What a keyring links, as the kernel lists it (KEYCTL_READ): its members' serials in the kernel's order, or why
 * not ('ENOTDIR': the serial is not a keyring). /proc/keys says how many links a keyring has, never which.
 */
export type KeyringMembers = { serial: number; errno: null; members: number[] } | KeyRefused;

/** Errors that prove the serial is a key the kernel holds (it is dead, so it cannot be described). */
export const DEAD_KEY_ERRNOS: ReadonlySet<string> = new Set(['EKEYEXPIRED', 'EKEYREVOKED']);

export function isDescribed(a: KeyAnswer | undefined): a is KeyDescribed {
  return a !== undefined && a.errno === null;
}

/**
 * The kernel's answers for one read of /proc/keys, given as the parser asks (proc-keys-exact.ts): about the lines
 * that may start a record, once each, in the one scan of the read. `from` says where they come from: the live
 * kernel (procfs/ask-kernel.ts), or a capture that stored them.
 */
export interface KernelAnswers {
  from: 'kernel' | 'capture';
  answer(serial: number): KeyAnswer | undefined;
  /** Every answer given so far, by serial: what a capture stores, and what a merge of reads goes by. */
  readonly given: ReadonlyMap<number, KeyAnswer>;
  /** What a keyring links (the trust store's keyrings, parser/trust-keyrings.ts); undefined where none is known. */
  members(serial: number): KeyringMembers | undefined;
  /** Every keyring listed so far, by serial: what a capture stores. */
  readonly listed: ReadonlyMap<number, KeyringMembers>;
}

/** Answers stored (a capture, another reader's read): the same whatever is asked. */
export function storedAnswers(from: KernelAnswers['from'], answers: Iterable<KeyAnswer>, lists: Iterable<KeyringMembers> = []): KernelAnswers {
  const given = new Map<number, KeyAnswer>();
  for (const a of answers) given.set(a.serial, a);
  const listed = new Map<number, KeyringMembers>();
  for (const l of lists) listed.set(l.serial, l);
  return { from, answer: (serial) => given.get(serial), given, members: (serial) => listed.get(serial), listed };
}
