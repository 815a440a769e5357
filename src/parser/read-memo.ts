/**
 * What a serving exporter's last read of /proc/keys confirmed: its records, those the kernel described found by
 * serial (proc-keys-exact.ts keeps them).
 *
 * A device for speed, kept because `npm run bench` shows a scrape at 100,000 keys costing about twice as much
 * without it: the kernel's own printing of /proc/keys is the floor of a scrape, and scanning, asking about and
 * rebuilding every record again costs as much once more. A description never changes after a key is created, so
 * where a read prints a record exactly again (printedAt()), at the start of a record, it is the same record,
 * confirmed by the same answer; and where the text changed (a usage count, an expiry, a setperm), the answer
 * still serves if the line shows the type, owner, group and perm it described. A serial reused by a new key is
 * asked about again unless all of those agree, as the kernel's answer about it would.
 */
import type { KeyDescribed } from './key-answer.js';
import type { KeyLineHeader } from './key-line.js';
import { newRecord, type KeyRecord } from './key-record.js';

export interface ReadMemo {
  /**
   * The last read's records, in ascending serial order as the kernel prints them (none when that read's were
   * not: a copy of a record was taken for one and folded back): the array the read's inventory holds.
   */
  records: readonly KeyRecord[];
}

export function createReadMemo(): ReadMemo {
  return { records: [] };
}

/**
 * A memo's lookup for one read: the record of this serial that the kernel described, if the memo holds one. A
 * read asks in ascending order, as the kernel prints: a cursor walks the memo's records, which are in that order
 * too; a serial below the cursor is searched for.
 */
export function memoLookup(memo: ReadMemo): (serial: number) => KeyRecord | undefined {
  const records = memo.records;
  let at = 0;
  return (serial) => {
    if (at > 0 && (records[at - 1] as KeyRecord).serialNumber >= serial) at = firstAtLeast(records, serial);
    while (at < records.length && (records[at] as KeyRecord).serialNumber < serial) at++;
    const r = records[at];
    return r !== undefined && r.serialNumber === serial && r.confirmation === 'described' ? r : undefined;
  };
}

/** The index of the first of `records` (in ascending serial order) whose serial is `serial` or above. */
function firstAtLeast(records: readonly KeyRecord[], serial: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as KeyRecord).serialNumber < serial) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A string of its own with the characters of `s` (a slice of a read): a slice would keep the whole read alive as
 * long as a record holds it, and the memo keeps records. V8 copies a concatenation into a string of its own when
 * it is sliced.
 */
export function ownString(s: string): string {
  return ` ${s}`.slice(1);
}

/**
 * Where the record `r` ends (the offset past its "\n") if the text at `p` prints it exactly as
 * proc_keys_show() printed it (key-record.ts formatKeyHeader() and keyText()), else -1: the same key, with the
 * same columns and summary. Compared in place, so that the memo keeps no copy of the text. A ".request_key_auth"
 * record, which prints its summary around its description, is never one (it is parsed again).
 */
export function printedAt(text: string, p: number, r: KeyRecord): number {
  let i = p;
  if (!text.startsWith(r.serial, i) || text.charCodeAt(i + 8) !== 32) return -1;
  i += 9;
  if (!text.startsWith(r.flagsRaw, i) || text.charCodeAt(i + r.flagsRaw.length) !== 32) return -1;
  i = numberAt(text, i + r.flagsRaw.length + 1, r.usage, 5);
  if (i < 0 || text.charCodeAt(i) !== 32) return -1;
  i = stringAt(text, i + 1, r.expiry.raw, 4);
  if (i < 0 || text.charCodeAt(i) !== 32 || !text.startsWith(r.perm.hex, i + 1) || text.charCodeAt(i + 1 + r.perm.hex.length) !== 32) return -1;
  i = numberAt(text, i + 2 + r.perm.hex.length, r.uid, 5);
  if (i < 0 || text.charCodeAt(i) !== 32) return -1;
  i = numberAt(text, i + 1, r.gid, 5);
  if (i < 0 || text.charCodeAt(i) !== 32 || !text.startsWith(r.type.raw, i + 1)) return -1;
  i += 1 + r.type.raw.length;
  for (let pad = 9 - r.type.raw.length; pad > 0; pad--, i++) if (text.charCodeAt(i) !== 32) return -1;
  if (text.charCodeAt(i) !== 32 || r.summary?.kind === 'request_key_auth') return -1;
  i++;
  if (!text.startsWith(r.description, i) || !text.startsWith(r.summaryText, i + r.description.length)) return -1;
  i += r.description.length + r.summaryText.length;
  return text.charCodeAt(i) === 10 ? i + 1 : -1;
}

/** Where `value`, printed as "%{width}s" at `i`, ends; -1 when the text differs. */
function stringAt(text: string, i: number, value: string, width: number): number {
  for (let pad = width - value.length; pad > 0; pad--, i++) if (text.charCodeAt(i) !== 32) return -1;
  return text.startsWith(value, i) ? i + value.length : -1;
}

/** Where the integer `n`, printed as "%{width}d" at `i`, ends; -1 when the text differs. */
function numberAt(text: string, i: number, n: number, width: number): number {
  const negative = n < 0;
  let v = negative ? -n : n;
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  const printed = digits + (negative ? 1 : 0);
  for (let pad = width - printed; pad > 0; pad--, i++) if (text.charCodeAt(i) !== 32) return -1;
  if (negative && text.charCodeAt(i++) !== 45) return -1;
  for (let k = digits - 1; k >= 0; k--) {
    if (text.charCodeAt(i + k) !== 48 + (v % 10)) return -1;
    v = Math.floor(v / 10);
  }
  return i + digits;
}

/** The serial of the 8 lower-case hex digits at `at`, or -1. */
export function serialAt(text: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 8; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/**
 * What the kernel said about a memo's record, where a line shows its type, owner, group and perm: the type name
 * and the description never change, and a reused serial shows another key only if all of those agree.
 */
export function rememberedAnswer(r: KeyRecord | undefined, h: KeyLineHeader): KeyDescribed | undefined {
  if (r === undefined || r.type.raw !== h.typeRaw || r.uid !== h.uid || r.gid !== h.gid || r.perm.hex !== h.permHex) return undefined;
  return { serial: r.serialNumber, errno: null, type: r.type.name, uid: r.uid, gid: r.gid, perm: r.perm.mask, description: r.description };
}

/**
 * A memo's record where a read shows it at `line`: itself, or a copy that starts there, unclassified (the
 * inventory classifies it again).
 */
export function atLine(r: KeyRecord, line: number): KeyRecord {
  if (r.line === line) return r;
  const shift = line - r.line;
  return newRecord(r, line, r.embeddedRecordLines.length === 0 ? r.embeddedRecordLines : r.embeddedRecordLines.map((n) => n + shift));
}
