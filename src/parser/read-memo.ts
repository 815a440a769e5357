/**
 * What a serving exporter's last read of /proc/keys confirmed: each record the kernel described, by serial, with
 * the exact text it was read from (proc-keys-exact.ts keeps it).
 *
 * A device for speed, kept because `npm run bench` shows a scrape at 100,000 keys costing about twice as much
 * without it: the kernel's own printing of /proc/keys is the floor of a scrape, and scanning, asking about and
 * rebuilding every record again costs as much once more. A description never changes after a key is created, so where a read
 * shows a record's exact text again, at the start of a record, it is the same record, confirmed by the same
 * answer; and where the text changed (a usage count, an expiry, a setperm), the answer still serves if the line
 * shows the type, owner, group and perm it described. A serial reused by a new key is asked about again unless
 * all of those agree, as the kernel's answer about it would.
 */
import type { KeyDescribed } from './key-answer.js';
import type { KeyLineHeader } from './key-line.js';
import type { KeyRecord } from './key-record.js';

export interface MemoEntry {
  /** The record's text exactly as the read printed it, its last "\n" included (a string of its own). */
  text: string;
  /** The record, as the kernel described it: its type name and description are the kernel's. */
  record: KeyRecord;
  /** The read that last listed it. */
  read: number;
}

export interface ReadMemo {
  /** The records reads confirmed, by serial: the last read's, and some of those before it (sweep()). */
  bySerial: Map<number, MemoEntry>;
  /** Reads parsed with it so far: the last one's number. */
  reads: number;
}

export function createReadMemo(): ReadMemo {
  return { bySerial: new Map(), reads: 0 };
}

/**
 * After read `read`, which listed `listed` of the memo's entries: drop the others once they are a quarter of
 * the memo. A sweep is a pass over every entry, so it is made only when it frees that much; until then an entry
 * of a key gone costs its memory, and serves only a record printed byte for byte as that key's was, with the
 * same serial.
 */
export function sweep(memo: ReadMemo, read: number, listed: number): void {
  const size = memo.bySerial.size;
  if ((size - listed) * 4 < size) return;
  for (const [serial, e] of memo.bySerial) if (e.read !== read) memo.bySerial.delete(serial);
}

/**
 * A string of its own with the characters of `s` (a slice of a read): a slice would keep the whole read alive as
 * long as the memo keeps it. V8 copies a concatenation into a string of its own when it is sliced.
 */
export function ownString(s: string): string {
  return ` ${s}`.slice(1);
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
export function rememberedAnswer(e: MemoEntry | undefined, h: KeyLineHeader): KeyDescribed | undefined {
  const r = e?.record;
  if (r === undefined || r.type.raw !== h.typeRaw || r.uid !== h.uid || r.gid !== h.gid || r.perm.hex !== h.permHex) return undefined;
  return { serial: r.serialNumber, errno: null, type: r.type.name, uid: r.uid, gid: r.gid, perm: r.perm.mask, description: r.description };
}

/**
 * A memo's record where a read shows it at `line`: itself, or a copy that starts there. The copy has the record's
 * own properties only (what the inventory wrote into the record is made again), in buildRecord's order: a spread
 * copy, with the inventory's properties, is an object V8 accesses some 40 times slower.
 */
export function atLine(r: KeyRecord, line: number): KeyRecord {
  if (r.line === line) return r;
  const shift = line - r.line;
  return {
    serial: r.serial,
    serialNumber: r.serialNumber,
    flagsRaw: r.flagsRaw,
    flags: r.flags,
    usage: r.usage,
    expiry: r.expiry,
    perm: r.perm,
    uid: r.uid,
    gid: r.gid,
    type: r.type,
    description: r.description,
    summary: r.summary,
    summaryText: r.summaryText,
    line,
    lineCount: r.lineCount,
    embeddedRecordLines: r.embeddedRecordLines.length === 0 ? r.embeddedRecordLines : r.embeddedRecordLines.map((n) => n + shift),
    complete: r.complete,
    confirmation: r.confirmation,
  };
}
