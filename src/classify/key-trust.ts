/**
 * Which records can be trusted as the keys they claim to be.
 *
 * A record the kernel described (KEYCTL_DESCRIBE) is the key it claims to be: nothing here doubts it, and a
 * description that holds record-like lines is known to carry them. Records read from text alone (a paste, a
 * capture without the kernel's answers) can be forged by a careful description, one whose every physical line
 * looks complete with a plausible serial. These cross-record and cross-file invariants catch what they can
 * (kernel-format.md §1.12, §2, §3):
 *   - one `_uid.N`, `_uid_ses.N`, `_persistent.N` per owner, one `.persistent_register` (process_keys.c,
 *     persistent.c create them on first use and find them afterwards);
 *   - every key's owner has a /proc/key-users line while the key exists (key.c key_user_lookup()), and a reader
 *     cannot see more keys of a uid than that line counts (nkeys, nikeys, qnkeys);
 *   - the bytes the listed keys of a uid charge are a lower bound of its qnbytes, and equal to it when every
 *     in-quota key is listed with an exactly known charge. A forged line makes its carrier's description longer
 *     than it looks, and claims a key its uid may not have.
 * A record that breaks an invariant is marked suspect with a reason; it is never silently counted.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord } from '../parser/key-record.js';
import { chargeExact, chargeMin } from '../parser/key-charge.js';
import { formatKeyHeader, keyText } from '../parser/key-record.js';
import { splitDescriptionSummary } from '../parser/key-summary.js';
import type { KeyClass } from './keyring-class.js';

export const SUSPECT_CODES = [
  'carries_record_text',
  'missing_summary',
  'duplicate_singleton',
  'uid_not_in_key_users',
  'exceeds_key_users',
  'key_users_bytes_mismatch',
] as const;
export type SuspectCode = (typeof SUSPECT_CODES)[number];

export interface SuspectReason {
  code: SuspectCode;
  message: string;
}

/** Types whose descriptions only the kernel writes (a hex serial, a hash, a validated hex string). */
const KERNEL_WRITTEN_DESCRIPTION_TYPES = new Set(['.request_key_auth', 'blacklist', '.fscrypt', '.dead', 'dead']);

/** Could this record's owner have put a newline, and so a forged record, into its description? */
export function descriptionUserWritable(typeName: string, cls: KeyClass, description: string): boolean {
  if (KERNEL_WRITTEN_DESCRIPTION_TYPES.has(typeName)) return false;
  if (cls === 'key' || cls === 'keyring') return true;
  return cls === 'session' && description !== '_ses';
}

/** What a key charges to its owner's byte quota, as far as /proc/keys tells (parser/key-charge.ts). */
export function quotaBytes(r: KeyRecord): { min: number; exact: boolean } {
  const positive = r.flags.instantiated && !r.flags.negative;
  return { min: chargeMin(r.description.length, r.type.name, positive, r.summary), exact: chargeExact(r.type.name, positive, r.summary) };
}

export interface Tally {
  visible: number;
  instantiated: number;
  inQuota: number;
  /** A lower bound of the bytes the visible in-quota keys charge. */
  bytes: number;
  /** Visible in-quota keys whose charge is only a lower bound; 0 means `bytes` is exact. */
  inexact: number;
}

/** What the listed keys of each uid add up to. */
export function tallyByUid(keys: readonly KeyRecord[]): Map<number, Tally> {
  const byUid = new Map<number, Tally>();
  for (const k of keys) {
    let t = byUid.get(k.uid);
    if (t === undefined) byUid.set(k.uid, (t = { visible: 0, instantiated: 0, inQuota: 0, bytes: 0, inexact: 0 }));
    t.visible++;
    if (k.flags.instantiated) t.instantiated++;
    if (k.flags.inQuota) {
      const positive = k.flags.instantiated && !k.flags.negative;
      t.inQuota++;
      t.bytes += chargeMin(k.description.length, k.type.name, positive, k.summary);
      if (!chargeExact(k.type.name, positive, k.summary)) t.inexact++;
    }
  }
  return byUid;
}

/**
 * What the reader saw of a uid cannot exceed what /proc/key-users counts for it; the bytes it saw charged are
 * a lower bound of qnbytes, and equal to it when every in-quota key is listed with an exactly known charge.
 */
function totalsProblem(s: Tally, u: KeyUserRecord): string | null {
  const over: string[] = [];
  if (s.visible > u.nkeys) over.push(`${s.visible} keys listed, ${u.nkeys} owned`);
  if (s.instantiated > u.nikeys) over.push(`${s.instantiated} instantiated listed, ${u.nikeys} owned`);
  if (s.inQuota > u.qnkeys) over.push(`${s.inQuota} in quota listed, ${u.qnkeys} charged`);
  if (s.bytes > u.qnbytes) over.push(`the listed keys charge at least ${s.bytes} bytes, ${u.qnbytes} charged`);
  else if (s.inexact === 0 && s.inQuota === u.qnkeys && s.bytes !== u.qnbytes)
    over.push(`every in-quota key is listed and they charge exactly ${s.bytes} bytes, ${u.qnbytes} charged`);
  return over.length > 0 ? over.join('; ') : null;
}

/** The classes the kernel keeps one of per owner (process_keys.c, persistent.c find them again). */
const SINGLETON_CLASSES: ReadonlySet<KeyClass> = new Set(['user', 'user_session', 'persistent', 'persistent_register']);

interface Judged extends KeyRecord {
  class: KeyClass;
  suspect: SuspectReason[];
}

/** What a record that is not suspect holds: one shared empty list. */
export const NOT_SUSPECT: SuspectReason[] = Object.freeze([]) as unknown as SuspectReason[];

/** Fold attempts per assessment: bounds the work an attacker can cause with unbalanced totals. */
const MAX_FOLD_ATTEMPTS = 10_000;

/**
 * Records read from text alone whose owners' totals contradict /proc/key-users: where folding one record-like line
 * back into the record before it leaves both uids consistent, that fold is the reconstruction. The carrier gets
 * the whole text, the forged record is dropped. Returns the records left, in file order.
 */
function foldByTotals<K extends Judged>(keys: K[], users: KeyUserRecord[], unstable: ReadonlySet<number>): K[] {
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const totals = tallyByUid(keys);
  const balanced = (uid: number, t: Tally | undefined): boolean => {
    if (t === undefined || t.visible === 0 || unstable.has(uid)) return true;
    const u = byUid.get(uid);
    return u !== undefined && totalsProblem(t, u) === null;
  };
  const unbalanced = new Set([...totals].filter(([uid, t]) => !balanced(uid, t)).map(([uid]) => uid));
  if (unbalanced.size === 0) return keys;
  const dropped = new Set<K>();
  let attempts = 0;
  for (let i = 0, j = 1; j < keys.length && attempts < MAX_FOLD_ATTEMPTS; j++) {
    const c = keys[i] as K;
    const f = keys[j] as K;
    if (c.confirmation === 'described' || f.confirmation === 'described' || (!unbalanced.has(c.uid) && !unbalanced.has(f.uid)) || !descriptionUserWritable(c.type.name, c.class, c.description)) {
      i = j;
      continue;
    }
    attempts++;
    const text = `${keyText(c)}\n${formatKeyHeader(f)}${keyText(f)}`;
    const split = splitDescriptionSummary(c.type.name, text, c.flags.instantiated && !c.flags.negative, c.flags.revoked);
    const rebuilt = { ...c, description: split.description, summary: split.summary, summaryText: split.summaryText };
    const after = new Map<number, Tally>();
    for (const uid of [c.uid, f.uid]) after.set(uid, { ...(totals.get(uid) as Tally) });
    const apply = (k: KeyRecord, sign: 1 | -1): void => {
      const t = after.get(k.uid) as Tally;
      const q = quotaBytes(k);
      t.visible += sign;
      if (k.flags.instantiated) t.instantiated += sign;
      if (k.flags.inQuota) {
        t.inQuota += sign;
        t.bytes += sign * q.min;
        if (!q.exact) t.inexact += sign;
      }
    };
    apply(c, -1);
    apply(f, -1);
    apply(rebuilt, 1);
    if (!split.complete || ![...after].every(([uid, t]) => balanced(uid, t))) {
      i = j;
      continue;
    }
    Object.assign(c, rebuilt, { complete: true, lineCount: c.lineCount + f.lineCount, embeddedRecordLines: [...c.embeddedRecordLines, f.line, ...f.embeddedRecordLines] });
    for (const [uid, t] of after) {
      totals.set(uid, t);
      unbalanced.delete(uid);
    }
    dropped.add(f);
  }
  return dropped.size === 0 ? keys : keys.filter((k) => !dropped.has(k));
}

/** What the caller sorted out of the records in the pass that classified them, in file order. */
export interface SortedRecords<K> {
  /** The records the kernel did not describe (read from text alone, or dead keys'). */
  textRead: K[];
  /** The records of the classes the kernel keeps one of per owner. */
  singletonClassed: K[];
}

/** The classes the kernel keeps one of per owner. */
export function isSingletonClass(cls: KeyClass): boolean {
  return SINGLETON_CLASSES.has(cls);
}

/**
 * Judge `keys` (in file order): fold forged lines back where the totals show them (foldByTotals), and mark the
 * suspect records, in place. Returns the records left. `users` is null when /proc/key-users could not be read;
 * uids whose counters moved while /proc/keys was read are neither accused nor cleared.
 */
export function assessTrust<K extends Judged>(all: K[], allUsers: KeyUserRecord[] | null, unstableUids: readonly number[] = [], sorted?: SortedRecords<K>): K[] {
  const unstable = new Set(unstableUids);
  // A fold joins two records read from text alone, one after the other.
  const foldable = sorted === undefined || sorted.textRead.length > 1;
  const keys = allUsers === null || !foldable ? all : foldByTotals(all, allUsers.filter((u) => !unstable.has(u.uid)), unstable);
  // Folding changed the records: what was sorted out of them no longer holds.
  const given = keys === all ? sorted : undefined;
  const mark = (k: Judged, code: SuspectCode, message: string): void => {
    // A new array: records that are not suspect share one empty array (NOT_SUSPECT).
    if (!k.suspect.some((s) => s.code === code)) k.suspect = [...k.suspect, { code, message }];
  };
  // The kernel described these records itself: only text-read ones (unconfirmed, or dead keys) are judged.
  const judged = given?.textRead ?? keys.filter((k) => k.confirmation !== 'described');
  const singletons = new Map<string, Judged[]>();
  for (const k of judged) {
    if (k.embeddedRecordLines.length > 0)
      mark(k, 'carries_record_text', `its description spans ${k.lineCount} lines and contains text that looks like a record (line${k.embeddedRecordLines.length > 1 ? 's' : ''} ${k.embeddedRecordLines.slice(0, 5).join(', ')}${k.embeddedRecordLines.length > 5 ? ', ...' : ''})`);
    if (!k.complete) mark(k, 'missing_summary', `a positive ${k.type.name} key always ends with its summary; this one does not`);
  }
  for (const k of given?.singletonClassed ?? keys) {
    if (!SINGLETON_CLASSES.has(k.class)) continue;
    const id = `${k.class}\u0000${k.uid}\u0000${k.description}`;
    const list = singletons.get(id);
    if (list === undefined) singletons.set(id, [k]);
    else list.push(k);
  }
  for (const list of singletons.values()) {
    if (list.length < 2) continue;
    const lines = list.map((k) => k.line).join(', ');
    for (const k of list) if (k.confirmation !== 'described') mark(k, 'duplicate_singleton', `the kernel keeps one ${k.description} per owner and namespace; lines ${lines} all claim it`);
  }
  if (allUsers === null || allUsers.length === 0 || judged.length === 0) return keys;
  const byUid = new Map(allUsers.map((u) => [u.uid, u]));
  const problems = new Map<number, { code: SuspectCode; message: string }>();
  for (const [uid, seen] of tallyByUid(keys)) {
    if (unstable.has(uid)) continue;
    const u = byUid.get(uid);
    if (u === undefined) {
      problems.set(uid, { code: 'uid_not_in_key_users', message: `/proc/key-users has no line for uid ${uid}, yet every key's owner has one while the key exists` });
      continue;
    }
    const p = totalsProblem(seen, u);
    if (p === null) continue;
    const code = seen.visible > u.nkeys || seen.instantiated > u.nikeys || seen.inQuota > u.qnkeys ? 'exceeds_key_users' : 'key_users_bytes_mismatch';
    problems.set(uid, { code, message: `uid ${uid}: ${p} (/proc/key-users)` });
  }
  if (problems.size === 0) return keys;
  // Of a uid's text-read records, those that could be text inside the record before them are the ones to
  // doubt; when none could, all of them are.
  const mine = new Map<number, { all: Judged[]; mayBeText: Judged[] }>();
  keys.forEach((k, i) => {
    if (!problems.has(k.uid) || k.confirmation === 'described') return;
    let g = mine.get(k.uid);
    if (g === undefined) mine.set(k.uid, (g = { all: [], mayBeText: [] }));
    g.all.push(k);
    const before = keys[i - 1];
    if (before !== undefined && descriptionUserWritable(before.type.name, before.class, before.description)) g.mayBeText.push(k);
  });
  for (const [uid, g] of mine) {
    const p = problems.get(uid) as { code: SuspectCode; message: string };
    for (const k of p.code === 'uid_not_in_key_users' || g.mayBeText.length === 0 ? g.all : g.mayBeText) mark(k, p.code, p.message);
  }
  return keys;
}
