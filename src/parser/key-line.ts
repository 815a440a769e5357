/**
 * One physical line of /proc/keys that starts like a record. security/keys/proc.c proc_keys_show() prints
 *
 *   "%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s " then the type's describe() output, then "\n"
 *
 * so the prefix is fixed-width except where a number outgrows its minimum width (kernel-format.md §1.2).
 * The scanner enforces exactly those widths: a line whose padding a kernel could not have produced
 * (collapsed or re-aligned by a person, indented, tab-prefixed) is not a record.
 */
import { decodeKeyExpiry, type KeyExpiry } from './key-expiry.js';
import type { KeyPermissions } from './key-permissions.js';
import { decodeKeyType, typeIdOf, type DecodedKeyType } from './key-type.js';
import { memoize } from './memo.js';
import type { ByteSource } from './byte-source.js';
import * as keyTable from './key-table.js';
import { EXPD_EXPIRY, expiryOfSeconds, expirySecondsOf, flagsInfoOf, PERM_EXPIRY, permissionsOf, type FlagsInfo } from './key-table.js';

// Module-local copies of the row layout (parser/proc-keys.ts says why).
const { W_SERIAL, W_USAGE, W_UID, W_GID, W_TEXT_START, W_EXPIRY, W_PERM, W_BITS, FLAG_BITS_SHIFT, TYPE_ID_MASK, ROW_WORDS } = keyTable;

const SP = 0x20;

// Decoded values are immutable and few: one shared object per distinct value, looked up by a number computed
// while scanning, so the hot path neither slices nor hashes strings (memo.ts bounds each cache). Flags and perms
// by the numbers a key table stores them as (key-table.ts flagsInfoOf, permissionsOf).
const expiryOf = memoize(decodeKeyExpiry);
const typeOf = memoize(decodeKeyType);
/** Type columns seen, by a hash of their nine bytes (verified byte by byte on a hit). */
const typeColumns = new Map<number, { column: Uint8Array; type: DecodedKeyType; id: number }>();
/** typeIdOf() of the type matchTypeColumn() returned last. */
let matchedTypeId = 0;

function matchTypeColumn(src: ByteSource, at: number, hash: number): DecodedKeyType {
  const b = src.bytes;
  const e = typeColumns.get(hash);
  if (e !== undefined) {
    let j = 0;
    while (j < 9 && e.column[j] === b[at + j]) j++;
    if (j === 9) {
      matchedTypeId = e.id;
      return e.type;
    }
  }
  const type = typeOf(src.latin1(at, at + 9));
  matchedTypeId = typeIdOf(type);
  if (typeColumns.size >= 256) typeColumns.clear();
  // A copy: Buffer#slice is a view, which would pin the whole file and follow it if its memory were reused.
  typeColumns.set(hash, { column: Uint8Array.prototype.slice.call(b, at, at + 9), type, id: matchedTypeId });
  return type;
}

/** The letter of each flag position, as char codes (key-flags.ts KEY_FLAG_LETTERS). */
const FLAG_CHARS = [0x49, 0x52, 0x44, 0x51, 0x55, 0x4e, 0x69];

/** Expiry texts by (count * 8 + unit index). */
const expiryByCode = new Map<number, KeyExpiry | null>();
const UNIT_INDEX: Record<number, number> = { 0x73: 1, 0x6d: 2, 0x68: 3, 0x64: 4, 0x77: 5 };

function expiryAt(src: ByteSource, from: number, to: number): KeyExpiry | null {
  const line = src.bytes;
  const len = to - from;
  const c0 = line[from];
  // "perm" and "expd"
  if (len === 4 && c0 === 0x70 && line[from + 1] === 0x65 && line[from + 2] === 0x72 && line[from + 3] === 0x6d) return PERM_EXPIRY;
  if (len === 4 && c0 === 0x65 && line[from + 1] === 0x78 && line[from + 2] === 0x70 && line[from + 3] === 0x64) return EXPD_EXPIRY;
  const unit = UNIT_INDEX[line[to - 1] as number];
  // The kernel prints the count with %lu: no leading zero (and never 0 of a unit), so each text has one code.
  if (unit === undefined || len < 2 || len > 11 || c0 === 0x30) return null;
  let n = 0;
  for (let j = from; j < to - 1; j++) {
    const c = line[j] as number;
    if (c < 0x30 || c > 0x39) return null;
    n = n * 10 + (c - 0x30);
  }
  const code = n * 8 + unit;
  let e = expiryByCode.get(code);
  if (e === undefined) {
    e = expiryOf(src.latin1(from, to));
    if (expiryByCode.size >= 4096) expiryByCode.clear();
    expiryByCode.set(code, e);
  }
  return e;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/** Result slots of readAligned (no allocation per field). */
let fieldStart = 0;
/** End of the line being scanned (exclusive). */
let lineEnd = 0;
let fieldEnd = 0;
let fieldValue = 0;

/**
 * Read a right-aligned field printed with minimum width `width` starting at `pos` (just after the separating
 * space). Sets fieldStart/fieldEnd (and fieldValue for numbers); false when the padding is not what printf
 * makes or a number is malformed.
 */
function readAligned(line: Uint8Array, pos: number, width: number, numeric: boolean): boolean {
  let p = pos;
  const n = lineEnd;
  while (p < n && (line[p] as number) === SP) p++;
  const start = p;
  let negative = false;
  if (numeric && p < n && (line[p] as number) === 0x2d) {
    negative = true;
    p++;
  }
  const digitsStart = p;
  let value = 0;
  while (p < n) {
    const c = (line[p] as number);
    if (c === SP) break;
    if (numeric) {
      if (c < 0x30 || c > 0x39) return false;
      value = value * 10 + (c - 0x30);
    }
    p++;
  }
  if (p === digitsStart || (numeric && p - digitsStart > 10)) return false;
  // %d prints no leading zero and no "-0": such a line is not printf output and could not be rebuilt from its values.
  if (numeric && (line[digitsStart] as number) === 0x30 && (negative || p - digitsStart > 1)) return false;
  // printf pads to `width`; a longer value is printed in full with no padding.
  if (start - pos !== Math.max(0, width - (p - start))) return false;
  fieldStart = start;
  fieldEnd = p;
  fieldValue = negative ? -value : value;
  return true;
}

/** What one scan found; reused from line to line so that scanning allocates nothing. */
export interface ScannedLine {
  serialNumber: number;
  flags: FlagsInfo;
  usage: number;
  expiry: KeyExpiry;
  perm: KeyPermissions;
  uid: number;
  gid: number;
  type: DecodedKeyType;
  /** typeIdOf(type): 0 when the type has no number. */
  typeId: number;
  /** Offset where the text after the type column begins. */
  textStart: number;
}

export function createScannedLine(): ScannedLine {
  return {
    serialNumber: 0,
    flags: flagsInfoOf(7, 0),
    usage: 0,
    expiry: PERM_EXPIRY,
    perm: permissionsOf(0, 8),
    uid: 0,
    gid: 0,
    type: decodeKeyType('user     '),
    typeId: typeIdOf(decodeKeyType('user     ')),
    textStart: 0,
  };
}

/**
 * Scan the line [start, end) of `src` into `out`; false when it is not a record header. `view`: a DataView of
 * `src.bytes` (the parser makes one per part of the file it is fed; viewOf).
 * Nothing is allocated unless a flag string, perm, expiry or type column is seen for the first time.
 */
export function scanKeyLineAt(src: ByteSource, start: number, end: number, out: ScannedLine, view: DataView = viewOf(src.bytes)): boolean {
  return scanStandardLayout(src, start, end, out, view) || scanKeyLineGeneral(src, start, end, out);
}

/** A DataView of the same bytes: scanStandardLayout reads four of them at a time through it. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Offsets of the separating spaces in the layout of today's kernels when no column outgrows its width:
 * 8, 16, 22, 27, 36, 42, 48, 58 (serial, flags, usage, expiry, perm, uid, gid, type); the text starts at 59.
 */

/** The value of a lowercase hex digit by byte, -1 for any other byte (the kernel prints %08x: lowercase). */
const HEX_VALUE = Int8Array.from({ length: 256 }, (_, c) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1));

/**
 * Recently seen perm columns, direct-mapped by a hash of their eight bytes read as two little-endian words
 * (scanStandardLayout): a host has a few dozen perms, and a hit, the common case whatever order the lines come in,
 * is a predicted branch. Of 21 common masks, none share a slot.
 */
const PERM_SLOT_BITS = 8;
const PERM_SLOTS = 1 << PERM_SLOT_BITS;
const permWord0 = new Int32Array(PERM_SLOTS);
const permWord1 = new Int32Array(PERM_SLOTS);
/** The slot's mask; NaN for an empty slot. */
const permSlotMask = new Float64Array(PERM_SLOTS).fill(Number.NaN);
/** Expiry columns other than "perm" recently seen, by a hash of their four bytes read as a word. */
const EXPIRY_SLOT_BITS = 7;
const expirySlotWord = new Int32Array(1 << EXPIRY_SLOT_BITS);
/** The slot's expirySecondsOf(); NaN for an empty slot. */
const expirySlotSeconds = new Float64Array(1 << EXPIRY_SLOT_BITS).fill(Number.NaN);
/** Type columns recently seen, direct-mapped by three of their bytes. */
const TYPE_SLOTS = 32;
/** A slot's type column: its bytes 0-3 and 4-7 as little-endian words, and byte 8. */
const typeSlotWord0 = new Int32Array(TYPE_SLOTS);
const typeSlotWord1 = new Int32Array(TYPE_SLOTS);
const typeSlotByte8 = new Uint8Array(TYPE_SLOTS);
const typeSlotValue = new Array<DecodedKeyType | null>(TYPE_SLOTS).fill(null);
const typeSlotId = new Int32Array(TYPE_SLOTS);
/** "perm" as a little-endian word. */
const PERM_WORD = 0x6d726570;
/**
 * The flags column last decoded, as little-endian words (its bytes 0-3 and 3-6), with its FlagsInfo.bits (-1: none
 * yet). A host's keys mostly share a few sets of flags. The other columns are found in slots (column5, and the
 * expiry, perm and type slots).
 */
let lastFlagsWord0 = 0;
let lastFlagsWord1 = 0;
let lastFlagBits = -1;

/**
 * `%<width>d` right-aligned in [from, to): spaces, an optional '-', digits without a leading zero.
 * Returns the value, or NaN for anything scanKeyLineGeneral() would have to judge.
 */
function fixedInt(b: Uint8Array, from: number, to: number): number {
  let p = from;
  while (p < to && b[p] === SP) p++;
  if (p === to) return Number.NaN;
  let negative = false;
  if (b[p] === 0x2d) {
    negative = true;
    p++;
    if (p === to) return Number.NaN;
  }
  if (b[p] === 0x30 && (negative || p + 1 < to)) return Number.NaN;
  let v = 0;
  for (; p < to; p++) {
    const c = b[p] as number;
    if (c < 0x30 || c > 0x39) return Number.NaN;
    v = v * 10 + (c - 0x30);
  }
  return negative ? -v : v;
}

/**
 * Values of the 5-byte `%5d` columns (usage, uid, gid) recently seen, direct-mapped by a hash of their bytes: a
 * host has a few dozen owners and usage counts. A hit is the common case whatever order the lines come in, so its
 * branch is predicted, and a miss decodes the bytes (fixedInt). The value is a function of the bytes alone, so the
 * three columns share the slots and no slot can go stale. Comparing each column with the line before's, as the
 * flags still are, was a mispredicted branch whenever owners or usage counts alternate, as they do in a listing
 * ordered by serial.
 */
const COLUMN_SLOT_BITS = 8;
const columnSlotWord = new Int32Array(1 << COLUMN_SLOT_BITS);
/** The slot's fifth byte; -1 for an empty slot (no byte matches it). */
const columnSlotByte = new Int16Array(1 << COLUMN_SLOT_BITS).fill(-1);
const columnSlotValue = new Float64Array(1 << COLUMN_SLOT_BITS);

/** fixedInt(b, at, at + 5), through the slots; `view` is a DataView of `b`. */
function column5(b: Uint8Array, view: DataView, at: number): number {
  const word = view.getInt32(at, true);
  const byte = b[at + 4] as number;
  const slot = Math.imul(word ^ (byte << 11), 0x9e3779b1) >>> (32 - COLUMN_SLOT_BITS);
  if (columnSlotWord[slot] === word && columnSlotByte[slot] === byte) return columnSlotValue[slot] as number;
  const value = fixedInt(b, at, at + 5);
  columnSlotWord[slot] = word;
  columnSlotByte[slot] = byte;
  columnSlotValue[slot] = value;
  return value;
}

/** %08x at `at`: eight lowercase hex digits, as an unsigned number; -1 for anything else. */
function hex8(b: Uint8Array, at: number): number {
  // HEX_VALUE is -1 for anything but a lowercase hex digit, so one OR of all eight tells.
  const h0 = HEX_VALUE[b[at] as number] as number;
  const h1 = HEX_VALUE[b[at + 1] as number] as number;
  const h2 = HEX_VALUE[b[at + 2] as number] as number;
  const h3 = HEX_VALUE[b[at + 3] as number] as number;
  const h4 = HEX_VALUE[b[at + 4] as number] as number;
  const h5 = HEX_VALUE[b[at + 5] as number] as number;
  const h6 = HEX_VALUE[b[at + 6] as number] as number;
  const h7 = HEX_VALUE[b[at + 7] as number] as number;
  if ((h0 | h1 | h2 | h3 | h4 | h5 | h6 | h7) < 0) return -1;
  return ((h0 << 28) | (h1 << 24) | (h2 << 20) | (h3 << 16) | (h4 << 12) | (h5 << 8) | (h6 << 4) | h7) >>> 0;
}

/** The type of the line scanStandardRow() scanned last (its name, and the type of a row whose type has no number). */
export const scannedRow = { type: decodeKeyType('user     ') };

/**
 * The common case: 7 flags, 8-digit perm, and usage, expiry, uid and gid within their printf widths, so every
 * column sits at a fixed offset. True only when the line is a record header, with its values written as a key
 * table row's words at `o` of `w` (key-table.ts: serial, usage, uid, gid, text start, expiry, perm, and the type
 * and flags in the bits word; nothing else of the row) and its type in scannedRow.type; false means "not this
 * layout, or not sure": the general scanner decides. The parser's loop over records scans each line into the
 * row it becomes (proc-keys.ts runOfRecords): no object per line, and nothing decoded but numbers.
 */
export function scanStandardRow(src: ByteSource, start: number, end: number, view: DataView, w: Int32Array, o: number): boolean {
  const b = src.bytes;
  if (end - start < 59) return false;
  // The separating spaces (STANDARD_SPACES), unrolled.
  if (
    b[start + 8] !== SP ||
    b[start + 16] !== SP ||
    b[start + 22] !== SP ||
    b[start + 27] !== SP ||
    b[start + 36] !== SP ||
    b[start + 42] !== SP ||
    b[start + 48] !== SP ||
    b[start + 58] !== SP
  )
    return false;
  const serialNumber = hex8(b, start);
  if (serialNumber < 0) return false;
  // Flags: the seven bytes, read as two overlapping words, are most often the line before's (a host's keys are
  // mostly I--Q---); reading words through the view instead of byte by byte took 2-3 ms off the parse of
  // 100,000 lines, with the type column's words below.
  const fw0 = view.getInt32(start + 9, true);
  const fw1 = view.getInt32(start + 12, true);
  let bits = lastFlagBits;
  if (fw0 !== lastFlagsWord0 || fw1 !== lastFlagsWord1 || bits < 0) {
    bits = 0;
    for (let j = 0; j < 7; j++) {
      const c = b[start + 9 + j] as number;
      if (c === 0x2d) continue;
      if (c !== FLAG_CHARS[j]) return false;
      bits |= 1 << j;
    }
    lastFlagsWord0 = fw0;
    lastFlagsWord1 = fw1;
    lastFlagBits = bits;
  }
  // Usage, expiry, perm, uid and gid: slots picked by a hash of the column's bytes, verified against them.
  const usage = column5(b, view, start + 17);
  if (!(usage >= 0)) return false;
  // Expiry: "perm", filling the column, for most keys; else a slot picked by a hash of the column's four bytes.
  const ew = view.getInt32(start + 23, true);
  let expiry: number;
  if (ew === PERM_WORD) expiry = -1;
  else {
    const es = Math.imul(ew, 0x9e3779b1) >>> (32 - EXPIRY_SLOT_BITS);
    expiry = expirySlotSeconds[es] as number;
    if (expiry !== expiry || expirySlotWord[es] !== ew) {
      let e = start + 23;
      while (e < start + 27 && b[e] === SP) e++;
      if (e === start + 27) return false;
      for (let j = e; j < start + 27; j++) if (b[j] === SP) return false;
      const decoded = expiryAt(src, e, start + 27);
      if (decoded === null) return false;
      expiry = expirySecondsOf(decoded);
      expirySlotWord[es] = ew;
      expirySlotSeconds[es] = expiry;
    }
  }
  // Perm: a slot picked by a hash of its eight bytes, read as two words, verified by comparing both; else decoded.
  const pw0 = view.getInt32(start + 28, true);
  const pw1 = view.getInt32(start + 32, true);
  const pws = Math.imul(pw0 ^ Math.imul(pw1, 0x85ebca6b), 0x9e3779b1) >>> (32 - PERM_SLOT_BITS);
  let mask = permSlotMask[pws] as number;
  if (mask !== mask || permWord0[pws] !== pw0 || permWord1[pws] !== pw1) {
    mask = hex8(b, start + 28);
    if (mask < 0) return false;
    permWord0[pws] = pw0;
    permWord1[pws] = pw1;
    permSlotMask[pws] = mask;
  }
  const uid = column5(b, view, start + 37);
  const gid = column5(b, view, start + 43);
  if (uid !== uid || gid !== gid) return false;
  // Type column: a slot picked by three bytes, verified by comparing all nine, as two words and a byte, with a
  // column validated before.
  const t = start + 49;
  const ts = ((b[t] as number) * 7 + (b[t + 2] as number) * 3 + (b[t + 4] as number)) & (TYPE_SLOTS - 1);
  const tw0 = view.getInt32(t, true);
  const tw1 = view.getInt32(t + 4, true);
  let type = typeSlotValue[ts] as DecodedKeyType | null;
  if (type !== null && (typeSlotWord0[ts] !== tw0 || typeSlotWord1[ts] !== tw1 || typeSlotByte8[ts] !== b[t + 8])) type = null;
  if (type === null) {
    if (b[t] === SP) return false;
    let k = t;
    let hash = 0;
    for (; k < t + 9; k++) {
      const c = b[k] as number;
      if (c === SP) break;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    for (let j = k; j < t + 9; j++) if (b[j] !== SP) return false;
    type = matchTypeColumn(src, t, hash);
    typeSlotWord0[ts] = tw0;
    typeSlotWord1[ts] = tw1;
    typeSlotByte8[ts] = b[t + 8] as number;
    typeSlotValue[ts] = type;
    typeSlotId[ts] = matchedTypeId;
  }
  w[o + W_SERIAL] = serialNumber;
  w[o + W_USAGE] = usage;
  w[o + W_UID] = uid;
  w[o + W_GID] = gid;
  w[o + W_TEXT_START] = start + 59;
  w[o + W_EXPIRY] = expiry;
  w[o + W_PERM] = mask;
  w[o + W_BITS] = (typeSlotId[ts] as number) | (bits << FLAG_BITS_SHIFT);
  scannedRow.type = type;
  return true;
}

/** A row for scanStandardLayout() to scan into. */
const SCRATCH_ROW = new Int32Array(ROW_WORDS);

/**
 * scanStandardRow() into a ScannedLine: the same judgement, with the values decoded (test/parser/key-line.test.ts
 * compares it with scanKeyLineGeneral() on generated lines). For the lines the parser's loop over records does not
 * take: the first of a run, and the lines of other layouts and of multi-line records.
 */
export function scanStandardLayout(src: ByteSource, start: number, end: number, out: ScannedLine, view: DataView = viewOf(src.bytes)): boolean {
  const r = SCRATCH_ROW;
  if (!scanStandardRow(src, start, end, view, r, 0)) return false;
  const word = r[W_BITS] as number;
  out.serialNumber = (r[W_SERIAL] as number) >>> 0;
  out.flags = flagsInfoOf(7, (word >>> FLAG_BITS_SHIFT) & 0xff);
  out.usage = r[W_USAGE] as number;
  out.expiry = expiryOfSeconds(r[W_EXPIRY] as number);
  out.perm = permissionsOf((r[W_PERM] as number) >>> 0, 8);
  out.uid = r[W_UID] as number;
  out.gid = r[W_GID] as number;
  out.type = scannedRow.type;
  out.typeId = word & TYPE_ID_MASK;
  out.textStart = start + 59;
  return true;
}

/** The scanner for every layout a kernel prints (exported for the test that compares it with the fast path). */
export function scanKeyLineGeneral(src: ByteSource, start: number, end: number, out: ScannedLine): boolean {
  const line = src.bytes;
  // serial: %08x
  if (end - start < 8 + 1 + 6 + 1 + 5 + 1 + 4 + 1 + 6 + 1 + 5 + 1 + 5 + 1 + 9 + 1) return false;
  lineEnd = end;
  let serialNumber = 0;
  for (let i = start; i < start + 8; i++) {
    const c = line[i] as number;
    if (c >= 0x30 && c <= 0x39) serialNumber = serialNumber * 16 + (c - 0x30);
    else if (c >= 0x61 && c <= 0x66) serialNumber = serialNumber * 16 + (c - 0x57);
    else return false;
  }
  if (line[start + 8] !== SP) return false;
  // flags: 7 characters, 6 before Linux 3.5
  const flagsLen = line[start + 15] === SP ? 6 : 7;
  if (flagsLen === 7 && line[start + 16] !== SP) return false;
  // bits 0-6: the flags set; bit 7: a character that is neither its letter nor '-'; bits 8+: the width
  let flagCode = flagsLen << 8;
  for (let j = 0; j < flagsLen; j++) {
    const c = line[start + 9 + j] as number;
    if (c !== 0x2d) flagCode |= (1 << j) | (c === FLAG_CHARS[j] ? 0 : 1 << 7);
  }
  if (flagCode & (1 << 7)) return false;
  const flags = flagsInfoOf(flagsLen, flagCode & 0x7f);
  // usage: %5d
  if (!readAligned(line, start + 9 + flagsLen + 1, 5, true) || line[fieldEnd] !== SP) return false;
  const usage = fieldValue;
  // expiry: %4s
  if (!readAligned(line, fieldEnd + 1, 4, false) || line[fieldEnd] !== SP) return false;
  const expiry = expiryAt(src, fieldStart, fieldEnd);
  if (expiry === null) return false;
  // perm: %08x (%06x before 2.6.14)
  const pos = fieldEnd + 1;
  let permEnd = pos;
  let mask = 0;
  for (let c = line[permEnd] as number; permEnd < end && isHex(c); c = line[++permEnd] as number)
    mask = mask * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  if (line[permEnd] !== SP) return false;
  const permWidth = permEnd - pos;
  if (permWidth !== 8 && permWidth !== 6) return false;
  const perm = permissionsOf(mask, permWidth);
  // uid, gid: %5d each (signed: ids >= 2^31 print negative; (gid_t)-1 printed -1 before the kuid conversion)
  if (!readAligned(line, permEnd + 1, 5, true) || line[fieldEnd] !== SP) return false;
  const uid = fieldValue;
  if (!readAligned(line, fieldEnd + 1, 5, true) || line[fieldEnd] !== SP) return false;
  const gid = fieldValue;
  if (uid < -2147483648 || uid > 4294967295 || gid < -2147483648 || gid > 4294967295) return false;
  // type: %-9.9s then one space, always present even when describe() prints nothing
  const typeStart = fieldEnd + 1;
  if (end < typeStart + 10 || line[typeStart + 9] !== SP) return false;
  // %-9.9s: left-aligned, so the name cannot start with a space, and padding is only at the end
  let k = typeStart;
  let hash = 0;
  for (; k < typeStart + 9; k++) {
    const c = line[k] as number;
    if (c === SP) break;
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  if (k === typeStart) return false;
  for (let j = k; j < typeStart + 9; j++) if (line[j] !== SP) return false;
  const type = matchTypeColumn(src, typeStart, hash);
  out.serialNumber = serialNumber;
  out.flags = flags;
  out.usage = usage;
  out.expiry = expiry;
  out.perm = perm;
  out.uid = uid;
  out.gid = gid;
  out.type = type;
  out.typeId = matchedTypeId;
  out.textStart = typeStart + 10;
  return true;
}
