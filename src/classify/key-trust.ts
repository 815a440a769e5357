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
 *   - the bytes the listed keys of a uid charge are a lower bound of its qnbytes, and equal to it when every
 *     in-quota key is listed with an exactly known charge. A forged line makes its carrier's description longer
 *     than it looks, and claims a key its uid may not have: folding it back makes the totals consistent.
 * A record that breaks an invariant is marked suspect with a reason; it is never silently counted.
 *
 * Works on rows of a KeyTable (no object per key): a scrape assesses 100,000 keys in a few milliseconds.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import { formatKeyHeader, type KeyRecord } from '../parser/key-record.js';
import * as keyTable from '../parser/key-table.js';
import type { KeyTable } from '../parser/key-table.js';
import { splitDescriptionSummary } from '../parser/key-summary.js';
import { chargeExact, chargeMin } from '../parser/key-charge.js';
import { KEY_CLASSES, type KeyClass } from './keyring-class.js';

// Module-local copies: optimised code folds a module's own constants, and loads an imported binding at every use
// (addRowOf() runs in the classifier's loop; parser/proc-keys.ts says more).
const { BIT_COMPLETE, FLAG_I, FLAG_Q } = keyTable;

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
export function descriptionUserWritable(typeName: string, cls: KeyClass, description: () => string): boolean {
  if (KERNEL_WRITTEN_DESCRIPTION_TYPES.has(typeName)) return false;
  if (cls === 'key' || cls === 'keyring') return true;
  return cls === 'session' && description() !== '_ses';
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

/**
 * What the classifier counted of every row as it classified it (classify/inventory.ts RowClassifier), so that
 * the assessment need not go over every row again: the rows in file order, their tally by owner (tally()),
 * and the rows the per-row marks below can apply to (no summary, record text folded in, a singleton class).
 */
export interface CountedRows {
  /** Rows [0, n) of the table. */
  rows: Uint32Array;
  totals: Map<number, Tally>;
  /** The rows assessTrust's per-row pass can mark: incomplete (no summary), of a singleton class, or with record text folded in. */
  special: number[];
}

/** What the trust pass needs of a row, read from the table and the classification arrays. */
export interface TrustRows {
  table: KeyTable;
  /** Class index (KEY_CLASSES) per table row. */
  classes: Uint8Array;
  /** Rebuild a row's classification after a fold changed its description. */
  reclassify: (row: number) => void;
}

export function newTally(): Tally {
  return { visible: 0, instantiated: 0, inQuota: 0, bytes: 0, inexact: 0 };
}

/** Count row `i` into (sign 1) or out of (sign -1) its owner's tally: from its flags and the charge the parser stored (KeyTable W_CHARGE). */
export function addRow(t: Tally, table: KeyTable, i: number, sign: 1 | -1): void {
  addRowOf(t, table.flagBitsAt(i), table.chargeAt(i), table.chargeExactAt(i) ? 1 : 0, sign);
}

/** addRow() of a row whose flag bits (FlagsInfo.bits) and charge columns are read already (the classifier's loop). */
export function addRowOf(t: Tally, bits: number, charge: number, chargeExact: number, sign: 1 | -1): void {
  t.visible += sign;
  if ((bits & FLAG_I) !== 0) t.instantiated += sign;
  if ((bits & FLAG_Q) !== 0) {
    t.inQuota += sign;
    t.bytes += sign * charge;
    if (chargeExact === 0) t.inexact += sign;
  }
}

function tally(table: KeyTable, rows: Uint32Array): Map<number, Tally> {
  const byUid = new Map<number, Tally>();
  // A host has a few hundred uids at most: a direct-mapped slot by uid finds the tally without hashing.
  const slotUid = new Float64Array(256).fill(Number.NaN);
  const slotTally = new Array<Tally | undefined>(256).fill(undefined);
  // Indexed, not for-of: a loop run once per scrape stays in the interpreter for the first scrapes, where
  // for-of makes an iterator result per row (4 MB per loop at 100,000 keys, measured).
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k] as number;
    const uid = table.uidAt(i);
    const slot = uid & 255;
    let t = slotUid[slot] === uid ? slotTally[slot] : undefined;
    if (t === undefined) {
      t = byUid.get(uid);
      if (t === undefined) byUid.set(uid, (t = newTally()));
      slotUid[slot] = uid;
      slotTally[slot] = t;
    }
    addRow(t, table, i, 1);
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

/** Fold attempts per assessment: bounds the work an attacker can cause with unbalanced totals. */
const MAX_FOLD_ATTEMPTS = 10_000;

/** By class index: 1 for the classes the kernel keeps one of per owner. */
export const SINGLETON_CLASSES = Uint8Array.from(KEY_CLASSES, (c) => (c === 'user' || c === 'user_session' || c === 'persistent' || c === 'persistent_register' ? 1 : 0));

/**
 * Assess the rows of a table. Returns the live rows in file order (a forged line folded back into its carrier
 * is no longer a row) and the suspect reasons by row. `users` is null when /proc/key-users could not be read.
 */
export function assessTrust(
  view: TrustRows,
  allUsers: KeyUserRecord[] | null,
  unstableUids: readonly number[] = [],
  counted?: CountedRows,
): { rows: Uint32Array; suspect: Map<number, SuspectReason[]>; totals: Map<number, Tally>; folded: boolean } {
  const { table, classes } = view;
  let rows: Uint32Array;
  if (counted !== undefined) rows = counted.rows;
  else {
    rows = new Uint32Array(table.count);
    for (let i = 0; i < table.count; i++) rows[i] = i;
  }
  // A uid whose counters moved while /proc/keys was read is neither accused nor used to rebuild records.
  const unstable = new Set(unstableUids);
  const users = allUsers === null ? null : allUsers.filter((u) => !unstable.has(u.uid));
  const totals = counted?.totals ?? tally(table, rows);
  const live = users === null ? rows : foldByTotals(view, rows, users, unstable, totals);
  const folded = live !== rows;

  const suspect = new Map<number, SuspectReason[]>();
  const mark = (i: number, code: SuspectCode, message: string): void => {
    const list = suspect.get(i);
    if (list === undefined) suspect.set(i, [{ code, message }]);
    else if (!list.some((s) => s.code === code)) list.push({ code, message });
  };
  const writable = (i: number): boolean =>
    descriptionUserWritable(table.typeAt(i).name, KEY_CLASSES[classes[i] as number] as KeyClass, () => table.description(i));

  const singletons = new Map<string, number[]>();
  const anyEmbedded = table.embedded.size > 0;
  // Only the rows this loop can mark, when they were picked out as the rows were classified and no fold has
  // changed one since; every live row otherwise.
  const candidates = counted !== undefined && !folded ? counted.special : live;
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k] as number;
    const embedded = anyEmbedded ? table.embedded.get(i) : undefined;
    if (embedded !== undefined)
      mark(
        i,
        'carries_record_text',
        `its description spans ${table.lineCountAt(i)} lines and contains text that looks like a record (line${embedded.length > 1 ? 's' : ''} ${embedded.join(', ')})`,
      );
    if (!table.completeAt(i))
      mark(i, 'missing_summary', `a positive ${table.typeAt(i).name} key always ends with its summary; this one does not`);
    // Singletons: the kernel finds these keyrings again instead of creating a second one.
    if (SINGLETON_CLASSES[classes[i] as number] === 1) {
      const key = `${classes[i]}\u0000${table.uidAt(i)}\u0000${table.description(i)}`;
      const list = singletons.get(key);
      if (list === undefined) singletons.set(key, [i]);
      else list.push(i);
    }
  }
  for (const list of singletons.values()) {
    if (list.length < 2) continue;
    const lines = list.map((i) => table.lineAt(i)).join(', ');
    for (const i of list) mark(i, 'duplicate_singleton', `the kernel keeps one ${table.description(i)} per owner and namespace; lines ${lines} all claim it`);
  }

  if (users !== null && users.length > 0) {
    const byUid = new Map(users.map((u) => [u.uid, u]));
    const problems = new Map<number, { code: SuspectCode; message: string }>();
    for (const [uid, seen] of totals) {
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
      const byProblemUid = new Map<number, { all: number[]; mayBeText: number[] }>();
      live.forEach((i, k) => {
        const uid = table.uidAt(i);
        if (!problems.has(uid)) return;
        let g = byProblemUid.get(uid);
        if (g === undefined) byProblemUid.set(uid, (g = { all: [], mayBeText: [] }));
        g.all.push(i);
        if (k > 0 && writable(live[k - 1] as number)) g.mayBeText.push(i);
      });
      for (const [uid, g] of byProblemUid) {
        const p = problems.get(uid) as { code: SuspectCode; message: string };
        const doubted = p.code === 'uid_not_in_key_users' || g.mayBeText.length === 0 ? g.all : g.mayBeText;
        for (const i of doubted) mark(i, p.code, p.message);
      }
    }
  }
  return { rows: live, suspect, totals, folded };
}

/**
 * Where a uid's totals contradict /proc/key-users and folding one record-like line back into the record before
 * it leaves both uids consistent, that fold is the reconstruction: the carrier's row gets the whole text, the
 * forged row is dropped.
 */
function foldByTotals(view: TrustRows, rows: Uint32Array, users: KeyUserRecord[], unstable: ReadonlySet<number>, totals: Map<number, Tally>): Uint32Array {
  const { table, classes } = view;
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const balanced = (uid: number, s: Tally | undefined): boolean => {
    if (s === undefined || s.visible === 0 || unstable.has(uid)) return true;
    const u = byUid.get(uid);
    return u !== undefined && totalsProblem(s, u) === null;
  };
  const unbalanced = new Set<number>();
  for (const [uid, s] of totals) if (!balanced(uid, s)) unbalanced.add(uid);
  if (unbalanced.size === 0) return rows;

  const live = Array.from(rows);
  let attempts = 0;
  for (let k = 0; k + 1 < live.length && attempts < MAX_FOLD_ATTEMPTS; k++) {
    const c = live[k] as number;
    const f = live[k + 1] as number;
    const cUid = table.uidAt(c);
    const fUid = table.uidAt(f);
    if (!unbalanced.has(cUid) && !unbalanced.has(fUid)) continue;
    const cType = table.typeAt(c).name;
    if (!descriptionUserWritable(cType, KEY_CLASSES[classes[c] as number] as KeyClass, () => table.description(c))) continue;
    attempts++;
    const cf = table.flagsAt(c).flags;
    const text = table.text(c) + '\n' + formatKeyHeader(table.record(f)) + table.text(f);
    const split = splitDescriptionSummary(cType, text, cf.instantiated && !cf.negative, cf.revoked);
    if (!split.complete) continue;
    // Totals of the two uids involved, as they would be with the line folded back.
    const after = new Map<number, Tally>();
    for (const uid of [cUid, fUid]) {
      const t = totals.get(uid);
      if (t !== undefined && !after.has(uid)) after.set(uid, { ...t });
    }
    addRow(after.get(cUid) as Tally, table, c, -1);
    addRow(after.get(fUid) as Tally, table, f, -1);
    const saved = { override: table.override.get(c), summary: table.summaryAt(c) };
    table.override.set(c, { text, description: split.description, summaryText: split.summaryText });
    table.setSummary(c, split.summary);
    table.recharge(c);
    addRow(after.get(cUid) as Tally, table, c, 1);
    if (![...after].every(([uid, s]) => balanced(uid, s))) {
      if (saved.override === undefined) table.override.delete(c);
      else table.override.set(c, saved.override);
      table.setSummary(c, saved.summary);
      table.recharge(c);
      continue;
    }
    table.setBit(c, BIT_COMPLETE, true);
    table.setTextEnd(c, table.textEndAt(f));
    table.setLineCount(c, table.lineCountAt(c) + table.lineCountAt(f));
    table.embedded.set(c, [...(table.embedded.get(c) ?? []), table.lineAt(f), ...(table.embedded.get(f) ?? [])]);
    view.reclassify(c);
    // `totals` stays the tally of the live rows: the assessment below reads it.
    for (const [uid, s] of after) {
      if (s.visible === 0) totals.delete(uid);
      else totals.set(uid, s);
      unbalanced.delete(uid);
    }
    live.splice(k + 1, 1);
  }
  return Uint32Array.from(live);
}
