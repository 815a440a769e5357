/**
 * The records of one /proc/keys read, stored as rows of 32-bit numbers in one typed array (the flags, expiry,
 * perm, type and summary as numbers they decode from), strings as offsets into the file.
 * A scrape classifies and counts 100,000 keys without making an object or a string per key; `record(i)`
 * makes the object when something (the `keys` command, a finding) needs one.
 */
import type { ByteSource } from './byte-source.js';
import { decodeKeyExpiry, formatKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { decodeKeyFlags, KEY_FLAG_LETTERS, type KeyFlags } from './key-flags.js';
import { decodeKeyPermissions, type KeyPermissions } from './key-permissions.js';
import type { KeyRecord } from './key-record.js';
import { keyringSummary, lengthSummary, summaryCodeOf, type KeySummary } from './key-summary.js';

export { summaryCodeOf };
import { typeOfId, type DecodedKeyType } from './key-type.js';
import { chargeExact, chargeMin } from './key-charge.js';

export interface FlagsInfo {
  raw: string;
  flags: KeyFlags;
  /** Bit j set when the j-th flag character (I R D Q U N i) is set: a small number to index tables by. */
  bits: number;
}

/** FlagsInfo for a flags column already decoded (null when it is not one). */
export function flagsInfo(raw: string, flags: KeyFlags | null): FlagsInfo | null {
  if (flags === null) return null;
  let bits = 0;
  for (let j = 0; j < raw.length; j++) if (raw.charCodeAt(j) !== 0x2d) bits |= 1 << j;
  return { raw, flags, bits };
}

/** FlagsInfo.bits of the flags I, R, Q and N (key-flags.ts KEY_FLAG_LETTERS): constants, not an object (classify/keyring-class.ts I_SESSION says why). */
export const FLAG_I = 1 << 0;
export const FLAG_R = 1 << 1;
export const FLAG_Q = 1 << 3;
export const FLAG_N = 1 << 5;

/** FlagsInfo by width (6 or 7 characters) and bits, made on first use: 256 at most. */
const FLAGS_BY_WIDTH_BITS = new Array<FlagsInfo | undefined>(256).fill(undefined);

/** The flags printed `width` characters wide whose set flags are `bits` (FlagsInfo.bits). */
export function flagsInfoOf(width: 6 | 7, bits: number): FlagsInfo {
  const code = (width === 6 ? 128 : 0) | (bits & 0x7f);
  let f = FLAGS_BY_WIDTH_BITS[code];
  if (f === undefined) {
    let raw = '';
    for (let j = 0; j < width; j++) raw += bits & (1 << j) ? KEY_FLAG_LETTERS[j] : '-';
    f = flagsInfo(raw, decodeKeyFlags(raw)) as FlagsInfo;
    FLAGS_BY_WIDTH_BITS[code] = f;
  }
  return f;
}

/** The expiries `perm` and `expd`, decoded once (the scanner returns these, key-line.ts). */
export const PERM_EXPIRY = decodeKeyExpiry('perm') as KeyExpiry;
export const EXPD_EXPIRY = decodeKeyExpiry('expd') as KeyExpiry;
/** Decoded expiries by the seconds they say (KeyTable W_EXPIRY), made on first use; bounded like memo.ts. */
const EXPIRIES = new Map<number, KeyExpiry>();

/**
 * What a KeyTable row holds for an expiry (W_EXPIRY): -1 for `perm`, 0 for `expd`, else its seconds. A printed
 * expiry is one count of one unit, never 0 of it nor a count the next unit would print (key-expiry.ts), so its
 * seconds say which: formatKeyExpiry() prints it again.
 */
export function expirySecondsOf(e: KeyExpiry): number {
  return e.seconds ?? -1;
}

/** The expiry whose expirySecondsOf() is `seconds`. */
export function expiryOfSeconds(seconds: number): KeyExpiry {
  if (seconds < 0) return PERM_EXPIRY;
  if (seconds === 0) return EXPD_EXPIRY;
  let e = EXPIRIES.get(seconds);
  if (e === undefined) {
    e = decodeKeyExpiry(formatKeyExpiry(seconds)) as KeyExpiry;
    if (EXPIRIES.size >= 4096) EXPIRIES.clear();
    EXPIRIES.set(seconds, e);
  }
  return e;
}

/** Decoded perms by mask and width, made on first use; bounded like memo.ts. */
const PERMS = new Map<number, KeyPermissions>();

/** The perm printed `width` hex digits wide (8, or 6 before 2.6.14) whose value is `mask`. */
export function permissionsOf(mask: number, width: 6 | 8): KeyPermissions {
  const code = mask * 2 + (width === 8 ? 1 : 0);
  let p = PERMS.get(code);
  if (p === undefined) {
    p = decodeKeyPermissions(mask.toString(16).padStart(width, '0')) as KeyPermissions;
    if (PERMS.size >= 4096) PERMS.clear();
    PERMS.set(code, p);
  }
  return p;
}

const NO_LINES = Object.freeze([]) as unknown as number[];

/*
 * A row is ROW_WORDS 32-bit words, the rows one after another in one Int32Array (KeyTable.words): the parser
 * writes a row as one stream of 56 bytes. Stored by column (17 typed arrays, 87 bytes a row), the same values
 * were 17 streams of stores into memory not in the cache; parse + classify of 100,000 lines took 0.93x (generated)
 * and 0.96x (a real host) as long with rows, measured in pairs: docs/benchmarks.md, "Parse and classify, session
 * 10".
 *
 * Unsigned words (serial, offsets, lines, perm) are read with `>>> 0`. Signed ones that a kernel prints within
 * 32 bits (usage, uid, gid) and the charge and expiry seconds hold WIDE when the value does not fit, and the
 * value itself is in KeyTable.wide; a value that is WIDE itself is not in the map. The summary code has its own
 * fallback (-2, KeyTable.otherSummaries).
 */
/** Words a row takes. */
export const ROW_WORDS = 14;
/** The serial, unsigned. */
export const W_SERIAL = 0;
export const W_USAGE = 1;
export const W_UID = 2;
export const W_GID = 3;
/** Offsets in the file: the text after the type column is [textStart, textEnd), the description [textStart, descEnd). */
export const W_TEXT_START = 4;
export const W_TEXT_END = 5;
export const W_DESC_END = 6;
/** The row's first line (from 1) and how many lines it spans. */
export const W_LINE = 7;
export const W_LINE_COUNT = 8;
/** What the key charges its owner's byte quota at least (key-charge.ts chargeMin); BIT_CHARGE_EXACT when exactly that. */
export const W_CHARGE = 9;
/** The expiry as its seconds (expirySecondsOf()). */
export const W_EXPIRY = 10;
/** The perm as its mask, unsigned. */
export const W_PERM = 11;
/** The type's number (key-type.ts typeIdOf(), bits 0-15), the flags (FlagsInfo.bits, bits 16-23), BIT_COMPLETE and BIT_CHARGE_EXACT. */
export const W_BITS = 12;
/** The summary as summaryCodeOf(). */
export const W_SUMMARY = 13;
export const TYPE_ID_MASK = 0xffff;
export const FLAG_BITS_SHIFT = 16;
/** The record ends with the summary its type prints. */
export const BIT_COMPLETE = 1 << 24;
export const BIT_CHARGE_EXACT = 1 << 25;
/** In a signed word: the value is in KeyTable.wide. */
export const WIDE = -0x80000000;

/** Whether a signed word holds `value` itself (else WIDE, and the value is in KeyTable.wide). */
export function fitsWord(value: number): boolean {
  return (value | 0) === value && value !== WIDE;
}

/*
 * The rows of large tables are reused once the table they belonged to is garbage. At 100,000 keys a table's
 * rows are 8 MB, and fresh memory costs a page fault per 4 KB page on first write: 2,300 faults and 6 ms of
 * system time per read (`process.resourceUsage()`). `npm run bench`, parse + classify with the collection the
 * exporter makes between runs, measured together: best 31-32 ms and median at full speed 33-34 ms with columns
 * reused, against 35-48 and 37-55 without (session 5, when the rows were columns). Only memory is reused, never
 * what it held: the parser writes every word of every row it emits, and nothing reads a row at or past `count`.
 * A table's rows are put back when the collector has freed the table itself (FinalizationRegistry), so no table
 * still in use, by an inventory, the audit or a report, can share its rows with another; nothing keeps the rows
 * without their table. One array is kept, the last freed: the exporter reads one file at a time.
 *
 * Tables under POOLED_ROWS are not pooled: the pool holds a freed table's rows one collection longer than the
 * collector would, which only pays where the exporter collects after each read or every other (a read of 4 MiB
 * or more, about 45,000 keys, or enough smaller ones: procfs/collect-garbage.ts). Pooled from 4,096 rows, the
 * exporter's peak serving 10,000 keys was 134 MB against 124 (when it collected after each read of 1 MB); from
 * 32,768, its peak at 100,000 keys is 2-4 MB higher than without a pool.
 */
const POOLED_ROWS = 32_768;
const POOL_SIZE = 1;
const freeWords: Int32Array[] = [];
const WORDS_FREED = new FinalizationRegistry<Int32Array>((w) => {
  // The most recent first: the next read is most like the last one.
  freeWords.unshift(w);
  freeWords.length = Math.min(freeWords.length, POOL_SIZE);
});

/** Free rows for `capacity` rows (not more than twice that), or null. */
function takeWords(capacity: number): Int32Array | null {
  if (capacity < POOLED_ROWS) return null;
  for (let k = 0; k < freeWords.length; k++) {
    const w = freeWords[k] as Int32Array;
    const rows = w.length / ROW_WORDS;
    if (rows >= capacity && rows <= 2 * capacity) {
      freeWords.splice(k, 1);
      return w;
    }
  }
  return null;
}

export class KeyTable {
  count = 0;
  /**
   * The rows, ROW_WORDS words each (the W_ constants above): replaced only by grow(), while the parser fills the
   * table. Every value is a number: the flags as FlagsInfo.bits, the expiry as its seconds (expirySecondsOf()),
   * the perm as its mask, the type as its number (key-type.ts typeIdOf()) and the summary as summaryCodeOf(), not
   * references to the decoded objects (flagsAt(), expiryAt(), permAt(), typeAt(), summaryAt()), so that the
   * parser stores no pointer for them (a store through V8's write barrier) and a full collection has no slot of
   * theirs to visit (about 0.6 ms per collection for each pointer column of 150,000 rows, measured).
   */
  words: Int32Array;
  /** The values of signed words holding WIDE, by row * ROW_WORDS + word. */
  readonly wide = new Map<number, number>();
  /** The type of a row whose type has no number (type number 0), by row. */
  readonly otherTypes = new Map<number, DecodedKeyType>();
  /** How wide every row's flags and perm are printed (the parser sets them from its first record). */
  flagWidth: 6 | 7 = 7;
  permWidth: 6 | 8 = 8;
  /** The summary of a row whose summary has no code (summary code -2), by row. */
  readonly otherSummaries = new Map<number, KeySummary>();
  /** Record-like physical lines folded into a row's description (forged text), by row. */
  readonly embedded = new Map<number, number[]>();
  /** Rows whose text is not one contiguous range of the file (CRLF stripped, or rebuilt by a fold): text and split. */
  readonly override = new Map<number, { text: string; description: string; summaryText: string }>();

  constructor(
    /** The file's bytes (set by the parser once the file has ended, when it was parsed as it was read). */
    public source: ByteSource,
    capacity: number,
  ) {
    this.words = takeWords(capacity) ?? new Int32Array(capacity * ROW_WORDS);
    if (capacity >= POOLED_ROWS) WORDS_FREED.register(this, this.words, this);
  }

  /** Rows the table has room for. */
  get capacity(): number {
    return this.words.length / ROW_WORDS;
  }

  /** Room for `capacity` rows (a file larger than expected). */
  grow(capacity: number): void {
    const w = new Int32Array(capacity * ROW_WORDS);
    // Every row, those past `count` too: the parser writes a row before it counts it (proc-keys.ts runOfRecords).
    w.set(this.words.subarray(0, Math.min(this.words.length, w.length)));
    this.words = w;
    // The rows outgrown are garbage now; the new ones go back to the pool when the table does.
    WORDS_FREED.unregister(this);
    if (capacity >= POOLED_ROWS) WORDS_FREED.register(this, w, this);
  }

  /** Set a signed word of row `i` (W_USAGE, W_UID, W_GID, W_CHARGE, W_EXPIRY) to `value`, WIDE if it does not fit. */
  setSigned(i: number, word: number, value: number): void {
    const at = i * ROW_WORDS + word;
    if (fitsWord(value)) {
      this.words[at] = value;
      if (this.wide.size > 0) this.wide.delete(at);
    } else {
      this.words[at] = WIDE;
      this.wide.set(at, value);
    }
  }

  /** A signed word of row `i`, WIDE resolved. */
  signedAt(i: number, word: number): number {
    const at = i * ROW_WORDS + word;
    const v = this.words[at] as number;
    return v !== WIDE ? v : (this.wide.get(at) ?? v);
  }

  /** An unsigned word of row `i`. */
  private unsignedAt(i: number, word: number): number {
    return (this.words[i * ROW_WORDS + word] as number) >>> 0;
  }

  serialAt(i: number): number {
    return this.unsignedAt(i, W_SERIAL);
  }

  usageAt(i: number): number {
    return this.signedAt(i, W_USAGE);
  }

  uidAt(i: number): number {
    return this.signedAt(i, W_UID);
  }

  gidAt(i: number): number {
    return this.signedAt(i, W_GID);
  }

  textStartAt(i: number): number {
    return this.unsignedAt(i, W_TEXT_START);
  }

  textEndAt(i: number): number {
    return this.unsignedAt(i, W_TEXT_END);
  }

  descEndAt(i: number): number {
    return this.unsignedAt(i, W_DESC_END);
  }

  /** Row `i`'s first line, from 1. */
  lineAt(i: number): number {
    return this.unsignedAt(i, W_LINE);
  }

  lineCountAt(i: number): number {
    return this.unsignedAt(i, W_LINE_COUNT);
  }

  /** What the key charges its owner's byte quota at least (key-charge.ts chargeMin). */
  chargeAt(i: number): number {
    return this.signedAt(i, W_CHARGE);
  }

  /** Whether chargeAt() is exactly what the key charges (key-charge.ts chargeExact). */
  chargeExactAt(i: number): boolean {
    return ((this.words[i * ROW_WORDS + W_BITS] as number) & BIT_CHARGE_EXACT) !== 0;
  }

  /** Whether the record ends with the summary its type prints. */
  completeAt(i: number): boolean {
    return ((this.words[i * ROW_WORDS + W_BITS] as number) & BIT_COMPLETE) !== 0;
  }

  /** Row `i`'s flags as FlagsInfo.bits. */
  flagBitsAt(i: number): number {
    return ((this.words[i * ROW_WORDS + W_BITS] as number) >>> FLAG_BITS_SHIFT) & 0xff;
  }

  /** Row `i`'s expiry as expirySecondsOf(). */
  expirySecondsAt(i: number): number {
    return this.signedAt(i, W_EXPIRY);
  }

  permMaskAt(i: number): number {
    return this.unsignedAt(i, W_PERM);
  }

  /** Row `i`'s type number (key-type.ts typeIdOf(); 0: KeyTable.otherTypes). */
  typeIdAt(i: number): number {
    return (this.words[i * ROW_WORDS + W_BITS] as number) & TYPE_ID_MASK;
  }

  /** Row `i`'s summary as summaryCodeOf(). */
  summaryCodeAt(i: number): number {
    return this.words[i * ROW_WORDS + W_SUMMARY] as number;
  }

  /** Set or clear a bit of row `i`'s W_BITS word (BIT_COMPLETE, BIT_CHARGE_EXACT). */
  setBit(i: number, bit: number, on: boolean): void {
    const at = i * ROW_WORDS + W_BITS;
    const v = this.words[at] as number;
    this.words[at] = on ? v | bit : v & ~bit;
  }

  /** Set row `i`'s offsets and lines (a fold that rewrites a row). */
  setTextEnd(i: number, textEnd: number): void {
    this.words[i * ROW_WORDS + W_TEXT_END] = textEnd;
  }

  setLineCount(i: number, lineCount: number): void {
    this.words[i * ROW_WORDS + W_LINE_COUNT] = lineCount;
  }

  /** Set row `i`'s charge from its description, type, flags and summary (the parser, and a fold that rewrites a row). */
  recharge(i: number): void {
    const type = this.typeAt(i).name;
    const bits = this.flagBitsAt(i);
    const positive = (bits & FLAG_I) !== 0 && (bits & FLAG_N) === 0;
    const summary = this.summaryAt(i);
    this.setSigned(i, W_CHARGE, chargeMin(this.descriptionLength(i), type, positive, summary));
    this.setBit(i, BIT_CHARGE_EXACT, chargeExact(type, positive, summary));
  }

  /** The description's length in bytes (what the kernel charges for it). */
  descriptionLength(i: number): number {
    const o = this.override.size === 0 ? undefined : this.override.get(i);
    if (o !== undefined) return o.description.length;
    const prefix = this.requestKeyAuth(i) ? 4 : 0;
    return this.descEndAt(i) - this.textStartAt(i) - prefix;
  }

  description(i: number): string {
    const o = this.override.size === 0 ? undefined : this.override.get(i);
    if (o !== undefined) return o.description;
    const s = this.textStartAt(i);
    const d = this.descEndAt(i);
    // .request_key_auth prints "key:" before the description (key-summary.ts)
    return this.requestKeyAuth(i) ? this.source.latin1(s + 4, d) : this.source.latin1(s, d);
  }

  summaryText(i: number): string {
    const o = this.override.get(i);
    if (o !== undefined) return o.summaryText;
    const s = this.textStartAt(i);
    const d = this.descEndAt(i);
    const e = this.textEndAt(i);
    return this.requestKeyAuth(i) ? this.source.latin1(s, s + 4) + this.source.latin1(d, e) : this.source.latin1(d, e);
  }

  /** Everything the kernel printed after the type column. */
  text(i: number): string {
    const o = this.override.get(i);
    return o !== undefined ? o.text : this.source.latin1(this.textStartAt(i), this.textEndAt(i));
  }

  serialHex(i: number): string {
    return this.serialAt(i).toString(16).padStart(8, '0');
  }

  /** Row `i`'s flags, decoded. */
  flagsAt(i: number): FlagsInfo {
    return flagsInfoOf(this.flagWidth, this.flagBitsAt(i));
  }

  /** Row `i`'s expiry, decoded. */
  expiryAt(i: number): KeyExpiry {
    return expiryOfSeconds(this.expirySecondsAt(i));
  }

  /** Row `i`'s summary, decoded. */
  summaryAt(i: number): KeySummary | null {
    const code = this.summaryCodeAt(i);
    if (code === -1) return null;
    if (code === -2) return this.otherSummaries.get(i) ?? null;
    return code % 2 === 0 ? keyringSummary(code / 2) : lengthSummary((code - 1) / 2);
  }

  /** Set row `i`'s summary (a fold that rewrites a row). */
  setSummary(i: number, s: KeySummary | null): void {
    this.setSummaryCode(i, summaryCodeOf(s), s);
  }

  /** Set row `i`'s summary from its summaryCodeOf() and, when that is -2, the summary (the parser). */
  setSummaryCode(i: number, code: number, s: KeySummary | null): void {
    this.words[i * ROW_WORDS + W_SUMMARY] = code;
    if (code === -2) this.otherSummaries.set(i, s as KeySummary);
    else if (this.otherSummaries.size > 0) this.otherSummaries.delete(i);
  }

  /** Whether row `i` is a .request_key_auth key's, whose text starts with "key:" (key-summary.ts). */
  private requestKeyAuth(i: number): boolean {
    return this.summaryCodeAt(i) === -2 && this.otherSummaries.get(i)?.kind === 'request_key_auth';
  }

  /** Row `i`'s type. */
  typeAt(i: number): DecodedKeyType {
    const id = this.typeIdAt(i);
    return id !== 0 ? typeOfId(id) : (this.otherTypes.get(i) as DecodedKeyType);
  }

  /** Row `i`'s perm, decoded. */
  permAt(i: number): KeyPermissions {
    return permissionsOf(this.permMaskAt(i), this.permWidth);
  }

  /** The row as an object. */
  record(i: number): KeyRecord {
    const f = this.flagsAt(i);
    return {
      serial: this.serialHex(i),
      serialNumber: this.serialAt(i),
      flagsRaw: f.raw,
      flags: f.flags,
      usage: this.usageAt(i),
      expiry: this.expiryAt(i),
      perm: this.permAt(i),
      uid: this.uidAt(i),
      gid: this.gidAt(i),
      type: this.typeAt(i),
      description: this.description(i),
      summary: this.summaryAt(i),
      summaryText: this.summaryText(i),
      line: this.lineAt(i),
      lineCount: this.lineCountAt(i),
      embeddedRecordLines: this.embedded.get(i) ?? NO_LINES,
      complete: this.completeAt(i),
    };
  }

  records(): KeyRecord[] {
    const out: KeyRecord[] = new Array<KeyRecord>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.record(i);
    return out;
  }
}

/**
 * The table of a read that found no keys file, shared: it has no row to rewrite.
 *
 * It also keeps KeyTable's hidden class alive between reads. A table's hidden class is reached from the class's
 * initial one by a transition per field, and V8 holds transitions weakly: once every table of a read is garbage,
 * a full collection frees the hidden class, and every optimised function that checks for it (the classifier, the
 * collectors, the audit: some 60 of them at 100,000 keys) is deoptimised with "reason: weak objects" and runs
 * unoptimised through the next scrape. A live table keeps the same hidden class for every read (measured with
 * `node --trace-deopt` on a serving exporter at 100,000 keys: 81 deoptimisations over 12 scrapes, 24 with it).
 */
export const EMPTY_KEY_TABLE: KeyTable = new KeyTable({ bytes: new Uint8Array(0), latin1: () => '' }, 0);
