/**
 * What created a keyring, decided from what the kernel itself sets when it creates one, not from the name
 * alone (kernel-format.md §3). Userspace can name a keyring almost anything (`keyctl newring _persistent.0`),
 * but it cannot:
 *   - create a keyring whose name starts with "." (security/keys/keyctl.c: add_key() and
 *     KEYCTL_JOIN_SESSION_KEYRING refuse them with EPERM);
 *   - create a key that is not charged to its quota: every key made through add_key(), request_key() or
 *     keyctl() is KEY_ALLOC_IN_QUOTA (flag Q), while the kernel allocates its registers, persistent keyrings
 *     and caches with KEY_ALLOC_NOT_IN_QUOTA;
 *   - give a key an invalid gid: keyctl_chown_key() only accepts groups the caller belongs to, while the kernel
 *     creates _uid.N, _uid_ses.N and _persistent.N with INVALID_GID, printed as the overflow gid (65534) or,
 *     before the kuid/kgid conversion (~3.6), -1.
 */
import type { KeyRecord } from '../parser/proc-keys.js';

export const KEY_CLASSES = [
  'session',
  'user_session',
  'user',
  'persistent',
  'persistent_register',
  'process',
  'thread',
  'request_key',
  'kernel',
  'keyring',
  'key',
] as const;
export type KeyClass = (typeof KEY_CLASSES)[number];
export interface KeyClassification {
  class: KeyClass;
  /** The class the description alone claims; differs from `class` for an impostor. */
  claimedClass: KeyClass;
  /** The uid written in `_uid.N`, `_uid_ses.N`, `_persistent.N`; null otherwise. */
  nameUid: number | null;
}

export interface ClassifyOptions {
  /** /proc/sys/kernel/overflowgid: what an unmapped or invalid gid prints as (default 65534). */
  overflowGid?: number;
}

const RE_UID = /^_uid\.(\d{1,10})$/;
const RE_UID_SES = /^_uid_ses\.(\d{1,10})$/;
const RE_PERSISTENT = /^_persistent\.(\d{1,10})$/;
const RE_REQ = /^_req\.\d{1,10}$/;
const RE_LEGACY_PID = /^_pid\.\d{1,10}$/;
const RE_LEGACY_TID = /^_tid\.\d{1,10}$/;

function hasInvalidGid(gid: number, overflowGid: number): boolean {
  return gid === overflowGid || gid === -1;
}

/**
 * Named session keyrings: KEYCTL_JOIN_SESSION_KEYRING(name) creates them with
 * KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_LINK = 0x3f130000 (process_keys.c
 * join_session_keyring()), so other processes of the same user can join them by name; runc then adds user
 * search (0x3f1b0000) or other search (0x3f130008). add_key()'s default for a keyring is 0x3f010000.
 */
function looksJoinedByName(perm: number): boolean {
  return (perm >>> 24) === 0x3f && ((perm >>> 16) & 0x13) === 0x13;
}

/** What a keyring's name claims it is, and the uid written in it (`_uid.N`, `_uid_ses.N`, `_persistent.N`). */
export interface NameClaim {
  claimed: KeyClass;
  nameUid: number | null;
}

const claimOf = (claimed: KeyClass): NameClaim => Object.freeze({ claimed, nameUid: null });
/** The claims without a uid, shared. */
const CLAIM_KEYRING = claimOf('keyring');
const CLAIM_SESSION = claimOf('session');
const CLAIM_PERSISTENT_REGISTER = claimOf('persistent_register');
const CLAIM_PROCESS = claimOf('process');
const CLAIM_THREAD = claimOf('thread');
const CLAIM_REQUEST_KEY = claimOf('request_key');
const CLAIM_KERNEL = claimOf('kernel');

export function claimFromName(description: string): NameClaim {
  // Every reserved name starts with "_" or ".": anything else claims nothing (the common case, decided at once).
  const c0 = description.charCodeAt(0);
  if (c0 !== 0x5f && c0 !== 0x2e) return CLAIM_KEYRING;
  let m: RegExpExecArray | null;
  if (description === '_ses' || description.startsWith('_ses.')) return CLAIM_SESSION;
  if ((m = RE_UID_SES.exec(description)) !== null) return { claimed: 'user_session', nameUid: Number(m[1]) };
  if ((m = RE_UID.exec(description)) !== null) return { claimed: 'user', nameUid: Number(m[1]) };
  if ((m = RE_PERSISTENT.exec(description)) !== null) return { claimed: 'persistent', nameUid: Number(m[1]) };
  if (description === '.persistent_register') return CLAIM_PERSISTENT_REGISTER;
  if (description === '_pid' || RE_LEGACY_PID.test(description)) return CLAIM_PROCESS;
  if (description === '_tid' || RE_LEGACY_TID.test(description)) return CLAIM_THREAD;
  if (RE_REQ.test(description)) return CLAIM_REQUEST_KEY;
  if (description.startsWith('.')) return CLAIM_KERNEL;
  return CLAIM_KEYRING;
}

const KEY: KeyClassification = Object.freeze({ class: 'key', claimedClass: 'key', nameUid: null });

export function classifyKey(
  record: Pick<KeyRecord, 'type' | 'description' | 'flags' | 'gid' | 'perm'>,
  options: ClassifyOptions = {},
): KeyClassification {
  if (record.type.name !== 'keyring') return KEY;
  const { claimed, nameUid } = claimFromName(record.description);
  const cls = classOfKeyring(claimed, record, options.overflowGid ?? 65534);
  // A name that claims nothing claims whatever the record turned out to be.
  return { class: cls, claimedClass: claimed === 'keyring' ? cls : claimed, nameUid };
}

/** The class of a keyring whose name claims `claimed`, from what the kernel sets when it creates one. */
export function classOfKeyring(claimed: KeyClass, record: Pick<KeyRecord, 'flags' | 'gid' | 'perm'>, overflowGid: number): KeyClass {
  const inQuota = record.flags.inQuota;
  const gid = record.gid;
  const permMask = record.perm.mask;
  // Most keyrings first: a name that claims nothing, and a session's.
  if (claimed === 'keyring') return unclaimedClass(inQuota, permMask);
  // process_keys.c join_session_keyring() / install_session_keyring_to_cred(): "_ses" or a caller's name;
  // runc names its per-container session keyring "_ses.<container id>".
  if (claimed === 'session') return 'session';
  switch (claimed) {
    case 'user':
    case 'user_session':
      // process_keys.c look_up_user_keyrings(): keyring_alloc(name, uid, INVALID_GID, ...,
      // KEY_ALLOC_UID_KEYRING | KEY_ALLOC_IN_QUOTA, ...)
      return inQuota && hasInvalidGid(gid, overflowGid) ? (claimed === 'user' ? 'user' : 'user_session') : 'keyring';
    case 'persistent':
      // persistent.c key_create_persistent(): keyring_alloc("_persistent.N", uid, INVALID_GID, ...,
      // KEY_ALLOC_NOT_IN_QUOTA, ...)
      return !inQuota && hasInvalidGid(gid, overflowGid) ? 'persistent' : 'keyring';
    case 'persistent_register':
      // persistent.c key_create_persistent_register(): keyring_alloc(".persistent_register", uid 0, gid 0, ...,
      // KEY_ALLOC_NOT_IN_QUOTA, ...). A dot name cannot come from userspace at all.
      return !inQuota ? 'persistent_register' : 'kernel';
    case 'process': // process_keys.c install_process_keyring_to_cred(): "_pid"
      return 'process';
    case 'thread': // process_keys.c install_thread_keyring_to_cred(): "_tid"
      return 'thread';
    case 'request_key':
      // request_key.c construct_key(): keyring_alloc("_req.<serial>", fsuid, fsgid, cred,
      // KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ, KEY_ALLOC_QUOTA_OVERRUN, ...): in quota, perm 0x3f030000.
      // The keyring lives only while /sbin/request-key runs; add_key() would have given 0x3f010000.
      return inQuota && permMask === 0x3f030000 ? 'request_key' : 'keyring';
    case 'kernel':
      return 'kernel';
    default:
      return unclaimedClass(inQuota, permMask);
  }
}

/** The class of a keyring whose name claims nothing. */
function unclaimedClass(inQuota: boolean, permMask: number): KeyClass {
  // Not in quota: only the kernel allocates keys with KEY_ALLOC_NOT_IN_QUOTA (e.g. fscrypt-<id>-users).
  if (!inQuota) return 'kernel';
  // Any other name joined with KEYCTL_JOIN_SESSION_KEYRING: `keyctl session NAME`, crun's per-container keyring.
  if (looksJoinedByName(permMask)) return 'session';
  return 'keyring';
}
