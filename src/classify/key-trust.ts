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
  const base = r.description.length + 1;
  const positive = r.flags.instantiated && !r.flags.negative;
  const type = r.type.name;
  if (!positive) return { min: base, exact: type === 'user' || type === 'logon' };
  const s = r.summary;
  if (type === 'keyring' && s?.kind === 'keyring' && s.capacity === undefined) return { min: base + 4 * s.links, exact: false };
  if ((type === 'user' || type === 'logon') && s?.kind === 'length') return { min: base + s.bytes, exact: true };
  return { min: base, exact: false };
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
    const b = quotaBytes(r);
    t.bytes += sign * b.min;
    if (!b.exact) t.inexact += sign;
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

export interface TrustResult {
  records: ClassifiedRecord[];
  suspect: SuspectReason[][];
}

/**
 * Assess every record. `users` is null when /proc/key-users could not be read (its invariants are skipped).
 * `reclassify` re-derives the classification of a record rebuilt by folding a forged line back into it.
 */
export function assessTrust(
  input: ClassifiedRecord[],
  allUsers: KeyUserRecord[] | null,
  reclassify: (r: KeyRecord) => ClassifiedRecord,
  unstableUids: readonly number[] = [],
): TrustResult {
  let records = input;
  // A uid whose counters moved while /proc/keys was read is neither accused nor used to rebuild records.
  const unstable = new Set(unstableUids);
  const users = allUsers?.filter((u) => !unstable.has(u.uid)) ?? null;
  if (users !== null) records = foldByByteTotals(records, users, reclassify, unstable);
  const suspect: SuspectReason[][] = records.map(() => []);
  const mark = (i: number, code: SuspectCode, message: string): void => {
    const list = suspect[i] as SuspectReason[];
    if (!list.some((s) => s.code === code)) list.push({ code, message });
  };

  records.forEach((r, i) => {
    if (r.embeddedRecordLines.length > 0)
      mark(
        i,
        'carries_record_text',
        `its description spans ${r.lineCount} lines and contains text that looks like a record (line${r.embeddedRecordLines.length > 1 ? 's' : ''} ${r.embeddedRecordLines.join(', ')})`,
      );
    if (!r.complete) mark(i, 'missing_summary', `a positive ${r.type.name} key always ends with its summary; this one does not`);
  });

  // Singletons: the kernel finds these keyrings again instead of creating a second one.
  const singletons = new Map<string, number[]>();
  records.forEach((r, i) => {
    if (r.class === 'user' || r.class === 'user_session' || r.class === 'persistent' || r.class === 'persistent_register') {
      const key = `${r.class}\u0000${r.uid}\u0000${r.description}`;
      const list = singletons.get(key);
      if (list === undefined) singletons.set(key, [i]);
      else list.push(i);
    }
  });
  for (const list of singletons.values()) {
    if (list.length < 2) continue;
    const lines = list.map((i) => records[i]!.line).join(', ');
    for (const i of list)
      mark(i, 'duplicate_singleton', `the kernel keeps one ${records[i]!.description} per owner and namespace; lines ${lines} all claim it`);
  }

  if (users !== null && users.length > 0) {
    const byUid = new Map(users.map((u) => [u.uid, u]));
    const mayBeText = (i: number): boolean => i > 0 && descriptionUserWritable(records[i - 1] as ClassifiedRecord);
    for (const [uid, seen] of tally(records)) {
      if (unstable.has(uid)) continue;
      const u = byUid.get(uid);
      const indexes = records.flatMap((r, i) => (r.uid === uid ? [i] : []));
      if (u === undefined) {
        for (const i of indexes)
          mark(i, 'uid_not_in_key_users', `/proc/key-users has no line for uid ${uid}, yet every key's owner has one while the key exists`);
        continue;
      }
      const problem = totalsProblem(seen, u);
      if (problem === null) continue;
      // The records that could be text inside the record before them are the ones to doubt first.
      const candidates = indexes.filter(mayBeText);
      const code = seen.visible > u.nkeys || seen.instantiated > u.nikeys || seen.inQuota > u.qnkeys ? 'exceeds_key_users' : 'key_users_bytes_mismatch';
      for (const i of candidates.length > 0 ? candidates : indexes) mark(i, code, `uid ${uid}: ${problem} (/proc/key-users)`);
    }
  }
  return { records, suspect };
}

/**
 * A careful forgery makes every physical line look complete, but its carrier's real description is longer
 * than the first line shows, so the owner's in-quota bytes do not add up. Where a uid's totals fail and
 * folding one record-like line back into the record before it makes them balance exactly (without breaking
 * the totals of the uid the line claims), that fold is the reconstruction. One fold per uid and pass.
 */
function foldByByteTotals(
  input: ClassifiedRecord[],
  users: KeyUserRecord[],
  reclassify: (r: KeyRecord) => ClassifiedRecord,
  unstable: ReadonlySet<number>,
): ClassifiedRecord[] {
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const totals = tally(input);
  const balanced = (uid: number, s: Tally | undefined): boolean => {
    if (s === undefined || s.visible === 0 || unstable.has(uid)) return true;
    const u = byUid.get(uid);
    return u !== undefined && totalsProblem(s, u) === null;
  };
  if ([...totals].every(([uid, s]) => balanced(uid, s))) return input;

  const records = input.slice();
  for (let i = 0; i + 1 < records.length; i++) {
    const carrier = records[i] as ClassifiedRecord;
    const forged = records[i + 1] as ClassifiedRecord;
    if (!descriptionUserWritable(carrier)) continue;
    if (balanced(carrier.uid, totals.get(carrier.uid)) && balanced(forged.uid, totals.get(forged.uid))) continue;
    const text = carrier.text + '\n' + forged.headerText + forged.text;
    const split = splitDescriptionSummary(
      carrier.type.name,
      text,
      carrier.flags.instantiated && !carrier.flags.negative,
      carrier.flags.revoked,
    );
    if (!split.complete) continue;
    const merged = reclassify({
      ...carrier,
      text,
      description: split.description,
      summary: split.summary,
      summaryText: split.summaryText,
      lineCount: carrier.lineCount + forged.lineCount,
      embeddedRecordLines: [...carrier.embeddedRecordLines, forged.line, ...forged.embeddedRecordLines],
    });
    // Totals of the two uids involved, as they would be with the line folded back.
    const after = new Map<number, Tally>();
    for (const uid of [carrier.uid, forged.uid]) {
      const t = totals.get(uid);
      if (t !== undefined && !after.has(uid)) after.set(uid, { ...t });
    }
    addToTally(after.get(carrier.uid) as Tally, carrier, -1);
    addToTally(after.get(forged.uid) as Tally, forged, -1);
    addToTally(after.get(carrier.uid) as Tally, merged, 1);
    // Accept a fold that leaves both uids consistent with /proc/key-users when one of them was not.
    if (![...after].every(([uid, s]) => balanced(uid, s))) continue;
    for (const [uid, s] of after) totals.set(uid, s);
    records.splice(i, 2, merged);
  }
  return records;
}
