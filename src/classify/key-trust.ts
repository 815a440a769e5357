/**
 * Which records can be trusted as the keys they claim to be.
 *
 * The parser already folded into descriptions every record-like line that a kernel could not have printed
 * as a record of its own (proc-keys.ts). What is left can still be forged by a careful description, one whose
 * every physical line looks complete with a plausible serial. These cross-record and cross-file invariants
 * catch what they can (kernel-format.md §1.12, §2, §3):
 *   - one `_uid.N`, `_uid_ses.N`, `_persistent.N` per owner, one `.persistent_register` (process_keys.c,
 *     persistent.c create them on first use and find them afterwards);
 *   - every key's owner has a /proc/key-users line while the key exists (key.c key_user_lookup()), and a reader
 *     cannot see more keys of a uid than that line counts (nkeys, nikeys, qnkeys);
 *   - when a reader sees all of a uid's in-quota keys, their charges add up to qnbytes exactly:
 *     description length + 1 + payload reservation (key.c key_alloc(), key_payload_reserve()). A forged line
 *     makes its carrier's description longer than it looks, so the totals only balance once it is folded back.
 * A record that breaks an invariant is marked suspect with a reason; it is never silently counted.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord } from '../parser/proc-keys.js';
import { splitDescriptionSummary } from '../parser/key-summary.js';
import { formatKeyHeader, keyText } from '../parser/key-record.js';
import type { KeyClassification } from './keyring-class.js';

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

export type ClassifiedRecord = KeyRecord & KeyClassification;

/** Types whose descriptions only the kernel writes (a hex serial, a hash, a validated hex string). */
const KERNEL_WRITTEN_DESCRIPTION_TYPES = new Set(['.request_key_auth', 'blacklist', '.fscrypt', '.dead', 'dead']);

/** Could this record's owner have put a newline, and so a forged record, into its description? */
export function descriptionUserWritable(r: ClassifiedRecord): boolean {
  if (KERNEL_WRITTEN_DESCRIPTION_TYPES.has(r.type.name)) return false;
  switch (r.class) {
    case 'key':
    case 'keyring':
      return true;
    case 'session':
      return r.description !== '_ses';
    default:
      return false;
  }
}

/**
 * What a key charges to its owner's byte quota, as far as /proc/keys tells: key.c key_alloc() charges
 * desclen + 1 + type->def_datalen, and instantiation reserves the payload instead (key_payload_reserve()):
 * the data length for user and logon keys, 4 bytes per link for keyrings (keyring.c KEYQUOTA_LINK_BYTES).
 * `exact` is false when the charge can be larger than `min`:
 *   - keyrings: `keyctl unlink` gives the 4 bytes back, but when the garbage collector drops the link to a
 *     dead key (revoked, invalidated, expired) the keyring keeps the charge until it is cleared, so a keyring
 *     charges at least 4 bytes per link it shows (observed on Linux 6.18: see test/fixtures/README.md);
 *   - types whose reservation /proc/keys does not show (asymmetric, encrypted, dns_resolver, ...).
 */
export function quotaBytes(r: KeyRecord): { min: number; exact: boolean } {
  return { min: quotaBytesMin(r), exact: quotaBytesExact(r) };
}

function quotaBytesMin(r: KeyRecord): number {
  const base = r.description.length + 1;
  if (!r.flags.instantiated || r.flags.negative) return base;
  const s = r.summary;
  if (s === null) return base;
  if (s.kind === 'keyring' && s.capacity === undefined && r.type.name === 'keyring') return base + 4 * s.links;
  if (s.kind === 'length' && (r.type.name === 'user' || r.type.name === 'logon')) return base + s.bytes;
  return base;
}

function quotaBytesExact(r: KeyRecord): boolean {
  const type = r.type.name;
  if (type !== 'user' && type !== 'logon') return false;
  return !r.flags.instantiated || r.flags.negative || r.summary?.kind === 'length';
}

interface Tally {
  visible: number;
  instantiated: number;
  inQuota: number;
  /** A lower bound of the bytes the visible in-quota keys charge. */
  bytes: number;
  /** Visible in-quota keys whose charge is only a lower bound; 0 means `bytes` is exact. */
  inexact: number;
}

function tally(records: ClassifiedRecord[]): Map<number, Tally> {
  const byUid = new Map<number, Tally>();
  for (const r of records) {
    let t = byUid.get(r.uid);
    if (t === undefined) byUid.set(r.uid, (t = { visible: 0, instantiated: 0, inQuota: 0, bytes: 0, inexact: 0 }));
    addToTally(t, r, 1);
  }
  return byUid;
}

function addToTally(t: Tally, r: KeyRecord, sign: 1 | -1): void {
  t.visible += sign;
  if (r.flags.instantiated) t.instantiated += sign;
  if (r.flags.inQuota) {
    t.inQuota += sign;
    t.bytes += sign * quotaBytesMin(r);
    if (!quotaBytesExact(r)) t.inexact += sign;
  }
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

/** A record the trust pass may mark: `suspect` is assigned on the objects it is given. */
export interface TrustSubject extends ClassifiedRecord {
  suspect: SuspectReason[];
}

/** Fold attempts per assessment: bounds the work an attacker can cause with unbalanced totals. */
const MAX_FOLD_ATTEMPTS = 10_000;

/**
 * Assess every record, setting `suspect` on those that break an invariant, and return the records with any
 * forged line folded back into its carrier. `users` is null when /proc/key-users could not be read (its
 * invariants are skipped). `rebuild` makes a record of the caller's kind from a record rebuilt by a fold.
 */
export function assessTrust<T extends TrustSubject>(
  input: T[],
  allUsers: KeyUserRecord[] | null,
  rebuild: (r: KeyRecord) => T,
  unstableUids: readonly number[] = [],
): T[] {
  // A uid whose counters moved while /proc/keys was read is neither accused nor used to rebuild records.
  const unstable = new Set(unstableUids);
  const users = allUsers === null ? null : allUsers.filter((u) => !unstable.has(u.uid));
  const records = users === null ? input : foldByByteTotals(input, users, rebuild, unstable);
  const mark = (r: T, code: SuspectCode, message: string): void => {
    if (r.suspect.length === 0) r.suspect = [{ code, message }];
    else if (!r.suspect.some((s) => s.code === code)) r.suspect.push({ code, message });
  };

  const singletons = new Map<string, T[]>();
  for (const r of records) {
    if (r.embeddedRecordLines.length > 0)
      mark(
        r,
        'carries_record_text',
        `its description spans ${r.lineCount} lines and contains text that looks like a record (line${r.embeddedRecordLines.length > 1 ? 's' : ''} ${r.embeddedRecordLines.join(', ')})`,
      );
    if (!r.complete) mark(r, 'missing_summary', `a positive ${r.type.name} key always ends with its summary; this one does not`);
    // Singletons: the kernel finds these keyrings again instead of creating a second one.
    if (r.class === 'user' || r.class === 'user_session' || r.class === 'persistent' || r.class === 'persistent_register') {
      const key = `${r.class}\u0000${r.uid}\u0000${r.description}`;
      const list = singletons.get(key);
      if (list === undefined) singletons.set(key, [r]);
      else list.push(r);
    }
  }
  for (const list of singletons.values()) {
    if (list.length < 2) continue;
    const lines = list.map((r) => r.line).join(', ');
    for (const r of list) mark(r, 'duplicate_singleton', `the kernel keeps one ${r.description} per owner and namespace; lines ${lines} all claim it`);
  }

  if (users !== null && users.length > 0) {
    const byUid = new Map(users.map((u) => [u.uid, u]));
    const problems = new Map<number, { code: SuspectCode; message: string }>();
    for (const [uid, seen] of tally(records)) {
      if (unstable.has(uid)) continue;
      const u = byUid.get(uid);
      if (u === undefined) {
        problems.set(uid, { code: 'uid_not_in_key_users', message: `/proc/key-users has no line for uid ${uid}, yet every key's owner has one while the key exists` });
        continue;
      }
      const problem = totalsProblem(seen, u);
      if (problem === null) continue;
      const code = seen.visible > u.nkeys || seen.instantiated > u.nikeys || seen.inQuota > u.qnkeys ? 'exceeds_key_users' : 'key_users_bytes_mismatch';
      problems.set(uid, { code, message: `uid ${uid}: ${problem} (/proc/key-users)` });
    }
    if (problems.size > 0) {
      // Of a uid's records, those that could be text inside the record before them are the ones to doubt;
      // when none could, all of them are.
      const byProblemUid = new Map<number, { all: T[]; mayBeText: T[] }>();
      records.forEach((r, i) => {
        if (!problems.has(r.uid)) return;
        let g = byProblemUid.get(r.uid);
        if (g === undefined) byProblemUid.set(r.uid, (g = { all: [], mayBeText: [] }));
        g.all.push(r);
        if (i > 0 && descriptionUserWritable(records[i - 1] as T)) g.mayBeText.push(r);
      });
      for (const [uid, g] of byProblemUid) {
        const p = problems.get(uid) as { code: SuspectCode; message: string };
        const doubted = p.code === 'uid_not_in_key_users' || g.mayBeText.length === 0 ? g.all : g.mayBeText;
        for (const r of doubted) mark(r, p.code, p.message);
      }
    }
  }
  return records;
}

/**
 * A careful forgery makes every physical line look complete, but its carrier's real description is longer
 * than the first line shows, and the line it forges claims a key its uid may not have. Where a uid's totals
 * contradict /proc/key-users and folding one record-like line back into the record before it leaves both
 * uids consistent, that fold is the reconstruction.
 */
function foldByByteTotals<T extends TrustSubject>(
  input: T[],
  users: KeyUserRecord[],
  rebuild: (r: KeyRecord) => T,
  unstable: ReadonlySet<number>,
): T[] {
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const totals = tally(input);
  const balanced = (uid: number, s: Tally | undefined): boolean => {
    if (s === undefined || s.visible === 0 || unstable.has(uid)) return true;
    const u = byUid.get(uid);
    return u !== undefined && totalsProblem(s, u) === null;
  };
  const unbalanced = new Set<number>();
  for (const [uid, s] of totals) if (!balanced(uid, s)) unbalanced.add(uid);
  if (unbalanced.size === 0) return input;

  const records = input.slice();
  let attempts = 0;
  for (let i = 0; i + 1 < records.length && attempts < MAX_FOLD_ATTEMPTS; i++) {
    const carrier = records[i] as T;
    const forged = records[i + 1] as T;
    if (!unbalanced.has(carrier.uid) && !unbalanced.has(forged.uid)) continue;
    if (!descriptionUserWritable(carrier)) continue;
    attempts++;
    const text = keyText(carrier) + '\n' + formatKeyHeader(forged) + keyText(forged);
    const split = splitDescriptionSummary(
      carrier.type.name,
      text,
      carrier.flags.instantiated && !carrier.flags.negative,
      carrier.flags.revoked,
    );
    if (!split.complete) continue;
    const mergedRecord: KeyRecord = {
      ...carrier,
      description: split.description,
      summary: split.summary,
      summaryText: split.summaryText,
      lineCount: carrier.lineCount + forged.lineCount,
      embeddedRecordLines: [...carrier.embeddedRecordLines, forged.line, ...forged.embeddedRecordLines],
    };
    // Totals of the two uids involved, as they would be with the line folded back.
    const after = new Map<number, Tally>();
    for (const uid of [carrier.uid, forged.uid]) {
      const t = totals.get(uid);
      if (t !== undefined && !after.has(uid)) after.set(uid, { ...t });
    }
    addToTally(after.get(carrier.uid) as Tally, carrier, -1);
    addToTally(after.get(forged.uid) as Tally, forged, -1);
    addToTally(after.get(carrier.uid) as Tally, mergedRecord, 1);
    if (![...after].every(([uid, s]) => balanced(uid, s))) continue;
    for (const [uid, s] of after) {
      totals.set(uid, s);
      unbalanced.delete(uid);
    }
    records.splice(i, 2, rebuild(mergedRecord));
  }
  return records;
}
