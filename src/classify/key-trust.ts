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
 * The bytes a key charges to its owner's byte quota, or null when it cannot be known from /proc/keys.
 * key.c key_alloc() charges desclen + 1 + type->def_datalen; instantiation reserves the payload instead
 * (key_payload_reserve()): the data length for user-style types, 4 bytes per link for keyrings
 * (keyring.c KEYQUOTA_LINK_BYTES).
 */
export function quotaBytes(r: KeyRecord): number | null {
  const base = r.description.length + 1;
  const positive = r.flags.instantiated && !r.flags.negative;
  if (!positive) return r.type.name === 'keyring' || r.type.name === 'user' || r.type.name === 'logon' ? base : null;
  const s = r.summary;
  if (s === null) return null;
  if (r.type.name === 'keyring' && s.kind === 'keyring' && s.capacity === undefined) return base + 4 * s.links;
  if ((r.type.name === 'user' || r.type.name === 'logon') && s.kind === 'length') return base + s.bytes;
  return null;
}

interface Tally {
  visible: number;
  instantiated: number;
  inQuota: number;
  bytes: number | null;
}

function tally(records: ClassifiedRecord[], keep: (i: number) => boolean): Map<number, Tally> {
  const byUid = new Map<number, Tally>();
  records.forEach((r, i) => {
    if (!keep(i)) return;
    let t = byUid.get(r.uid);
    if (t === undefined) byUid.set(r.uid, (t = { visible: 0, instantiated: 0, inQuota: 0, bytes: 0 }));
    t.visible++;
    if (r.flags.instantiated) t.instantiated++;
    if (r.flags.inQuota) {
      t.inQuota++;
      const b = quotaBytes(r);
      t.bytes = t.bytes === null || b === null ? null : t.bytes + b;
    }
  });
  return byUid;
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
  users: KeyUserRecord[] | null,
  reclassify: (r: KeyRecord) => ClassifiedRecord,
): TrustResult {
  let records = input;
  if (users !== null) records = foldByByteTotals(records, users, reclassify);
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
    const t = tally(records, () => true);
    const mayBeText = (i: number): boolean => i > 0 && descriptionUserWritable(records[i - 1] as ClassifiedRecord);
    for (const [uid, seen] of t) {
      const u = byUid.get(uid);
      const indexes = records.flatMap((r, i) => (r.uid === uid ? [i] : []));
      if (u === undefined) {
        for (const i of indexes)
          mark(i, 'uid_not_in_key_users', `/proc/key-users has no line for uid ${uid}, yet every key's owner has one while the key exists`);
        continue;
      }
      const over: string[] = [];
      if (seen.visible > u.nkeys) over.push(`${seen.visible} keys listed, ${u.nkeys} owned`);
      if (seen.instantiated > u.nikeys) over.push(`${seen.instantiated} instantiated listed, ${u.nikeys} owned`);
      if (seen.inQuota > u.qnkeys) over.push(`${seen.inQuota} in quota listed, ${u.qnkeys} charged`);
      if (over.length > 0) {
        const candidates = indexes.filter(mayBeText);
        for (const i of candidates.length > 0 ? candidates : indexes)
          mark(i, 'exceeds_key_users', `uid ${uid}: ${over.join('; ')} in /proc/key-users`);
      } else if (seen.inQuota === u.qnkeys && seen.bytes !== null && seen.bytes !== u.qnbytes) {
        const candidates = indexes.filter((i) => mayBeText(i) || (i + 1 < records.length && descriptionUserWritable(records[i]!) && mayBeText(i + 1)));
        for (const i of candidates.length > 0 ? candidates : indexes)
          mark(
            i,
            'key_users_bytes_mismatch',
            `uid ${uid}: every in-quota key is listed but they add up to ${seen.bytes} bytes, /proc/key-users charges ${u.qnbytes}`,
          );
      }
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
): ClassifiedRecord[] {
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const totals = tally(input, () => true);
  const balanced = (uid: number, s: Tally | undefined): boolean => {
    const u = byUid.get(uid);
    if (s === undefined) return true;
    if (u === undefined) return false;
    if (s.visible > u.nkeys || s.instantiated > u.nikeys || s.inQuota > u.qnkeys) return false;
    return !(s.inQuota === u.qnkeys && s.bytes !== null && s.bytes !== u.qnbytes);
  };
  if ([...totals].every(([uid, s]) => balanced(uid, s))) return input;

  const add = (t: Tally, r: KeyRecord, sign: 1 | -1): void => {
    t.visible += sign;
    if (r.flags.instantiated) t.instantiated += sign;
    if (r.flags.inQuota) {
      t.inQuota += sign;
      const b = quotaBytes(r);
      t.bytes = t.bytes === null || b === null ? null : t.bytes + sign * b;
    }
  };
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
    add(after.get(carrier.uid) as Tally, carrier, -1);
    add(after.get(forged.uid) as Tally, forged, -1);
    add(after.get(carrier.uid) as Tally, merged, 1);
    const forgedAfter = after.get(forged.uid) as Tally;
    if (forgedAfter.visible === 0) after.delete(forged.uid);
    // Accept only a fold that makes the carrier's own totals balance exactly and breaks nobody's.
    const carrierTally = after.get(carrier.uid) as Tally;
    const exact = byUid.has(carrier.uid) && carrierTally.bytes !== null && carrierTally.inQuota === byUid.get(carrier.uid)!.qnkeys;
    if (!exact || ![...after].every(([uid, s]) => balanced(uid, s))) continue;
    for (const [uid, s] of after) totals.set(uid, s);
    if (!after.has(forged.uid)) totals.delete(forged.uid);
    records.splice(i, 2, merged);
  }
  return records;
}
