/**
 * The records of one /proc/keys read, stored by column: numbers in typed arrays (the flags, expiry, perm, type
 * and summary as numbers they decode from), strings as offsets into the file.
 * A scrape classifies and counts 100,000 keys without making an object or a string per key; `record(i)`
 * makes the object when something (the `keys` command, a finding) needs one.
 */
import type { ByteSource } from './byte-source.js';
import { decodeKeyExpiry, formatKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { decodeKeyFlags, KEY_FLAG_LETTERS, type KeyFlags } from './key-flags.js';
import { decodeKeyPermissions, type KeyPermissions } from './key-permissions.js';
import type { KeyRecord } from './key-record.js';
import { keyringSummary, lengthSummary, type KeySummary } from './key-summary.js';
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
/** Decoded expiries by the seconds they say (KeyTable.expirySeconds), made on first use; bounded like memo.ts. */
const EXPIRIES = new Map<number, KeyExpiry>();

/**
 * What KeyTable.expirySeconds holds for an expiry: -1 for `perm`, 0 for `expd`, else its seconds. A printed
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

/**
 * What KeyTable.summaryCode holds for a summary: -1 for none, a keyring's links * 2, a length's bytes * 2 + 1, and
 * -2 for any other (the table keeps those: KeyTable.otherSummaries).
 */
export function summaryCodeOf(s: KeySummary | null): number {
  if (s === null) return -1;
  let code = -2;
  if (s.kind === 'keyring') {
    if (s.capacity === undefined) code = s.links * 2;
  } else if (s.kind === 'length') code = s.bytes * 2 + 1;
  return Number.isSafeInteger(code) ? code : -2;
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

/** A table's columns. */
type Columns = Pick<
  KeyTable,
  | 'serial'
  | 'usage'
  | 'uid'
  | 'gid'
  | 'textStart'
  | 'textEnd'
  | 'descEnd'
  | 'line'
  | 'lineCount'
  | 'complete'
  | 'charge'
  | 'chargeExact'
  | 'flagBits'
  | 'expirySeconds'
  | 'permMask'
  | 'typeId'
  | 'summaryCode'
>;

function newColumns(capacity: number): Columns {
  return {
    serial: new Float64Array(capacity),
    usage: new Float64Array(capacity),
    uid: new Float64Array(capacity),
    gid: new Float64Array(capacity),
    textStart: new Uint32Array(capacity),
    textEnd: new Uint32Array(capacity),
    descEnd: new Uint32Array(capacity),
    line: new Uint32Array(capacity),
    lineCount: new Uint32Array(capacity),
    complete: new Uint8Array(capacity),
    charge: new Float64Array(capacity),
    chargeExact: new Uint8Array(capacity),
    // Sized once: growing arrays row by row costs more than everything else the parser does per row.
    flagBits: new Uint8Array(capacity),
    expirySeconds: new Float64Array(capacity),
    permMask: new Uint32Array(capacity),
    typeId: new Uint16Array(capacity),
    summaryCode: new Float64Array(capacity),
  };
}

function columnsOf(t: KeyTable): Columns {
  const { serial, usage, uid, gid, textStart, textEnd, descEnd, line, lineCount, complete, charge, chargeExact, flagBits, expirySeconds, permMask, typeId, summaryCode } = t;
  return { serial, usage, uid, gid, textStart, textEnd, descEnd, line, lineCount, complete, charge, chargeExact, flagBits, expirySeconds, permMask, typeId, summaryCode };
}

/*
 * The columns of large tables are reused once the table they belonged to is garbage. At 100,000 keys a table's
 * columns are 9 MB, and fresh memory costs a page fault per 4 KB page on first write: 2,300 faults and 6 ms of
 * system time per read (`process.resourceUsage()`). `npm run bench`, parse + classify with the collection the
 * exporter makes between runs, measured together: best 31-32 ms and median at full speed 33-34 ms with columns
 * reused, against 35-48 and 37-55 without. Only memory is reused, never what it held: the parser writes every
 * column of every row it emits, and nothing reads a row at or past `count`. A table's columns are put back when
 * the collector has freed the table itself (FinalizationRegistry), so no table still in use, by an inventory,
 * the audit or a report, can share its columns with another; nothing keeps a column without its table. One set
 * is kept, the last freed: the exporter reads one file at a time.
 *
 * Tables under POOLED_ROWS are not pooled: the pool holds a freed table's columns one collection longer than the
 * collector would, which only pays where the exporter collects after each read or every other (a read of 4 MiB
 * or more, about 45,000 keys, or enough smaller ones: procfs/collect-garbage.ts). Pooled from 4,096 rows, the
 * exporter's peak serving 10,000 keys was 134 MB against 124 (when it collected after each read of 1 MB); from
 * 32,768, its peak at 100,000 keys is 2-4 MB higher than without a pool.
 */
const POOLED_ROWS = 32_768;
const POOL_SIZE = 1;
const freeColumns: Columns[] = [];
const COLUMNS_FREED = new FinalizationRegistry<Columns>((c) => {
  // The most recent first: the next read is most like the last one.
  freeColumns.unshift(c);
  freeColumns.length = Math.min(freeColumns.length, POOL_SIZE);
});

/** Free columns for `capacity` rows (not more than twice that), or null. */
function takeColumns(capacity: number): Columns | null {
  if (capacity < POOLED_ROWS) return null;
  for (let k = 0; k < freeColumns.length; k++) {
    const c = freeColumns[k] as Columns;
    if (c.serial.length >= capacity && c.serial.length <= 2 * capacity) {
      freeColumns.splice(k, 1);
      return c;
    }
  }
  return null;
}

export class KeyTable {
  count = 0;
  // The columns are replaced only by grow(), while the parser fills the table.
  serial: Float64Array;
  usage: Float64Array;
  uid: Float64Array;
  gid: Float64Array;
  /** Offsets in the file: the text after the type column is [textStart, textEnd), the description [textStart, descEnd). */
  textStart: Uint32Array;
  textEnd: Uint32Array;
  descEnd: Uint32Array;
  line: Uint32Array;
  lineCount: Uint32Array;
  complete: Uint8Array;
  /** What the key charges its owner's byte quota at least (key-charge.ts chargeMin), and 1 when exactly that. */
  charge: Float64Array;
  chargeExact: Uint8Array;
  /**
   * The flags as FlagsInfo.bits, the expiry as its seconds (expirySecondsOf()), the perm as its mask, the type as
   * its number (key-type.ts typeIdOf()) and the summary as summaryCodeOf(): numbers, not references to the decoded
   * objects (flagsAt(), expiryAt(), permAt(), typeAt(), summaryAt()), so that the parser stores no pointer for them
   * (a store through V8's write barrier) and a full collection has no slot of theirs to visit (about 0.6 ms per
   * collection for each pointer column of 150,000 rows, measured).
   */
  flagBits: Uint8Array;
  expirySeconds: Float64Array;
  permMask: Uint32Array;
  typeId: Uint16Array;
  /** The type of a row whose type has no number (typeId 0), by row. */
  readonly otherTypes = new Map<number, DecodedKeyType>();
  /** How wide every row's flags and perm are printed (the parser sets them from its first record). */
  flagWidth: 6 | 7 = 7;
  permWidth: 6 | 8 = 8;
  summaryCode: Float64Array;
  /** The summary of a row whose summary has no code (summaryCode -2), by row. */
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
    const c = takeColumns(capacity) ?? newColumns(capacity);
    this.serial = c.serial;
    this.usage = c.usage;
    this.uid = c.uid;
    this.gid = c.gid;
    this.textStart = c.textStart;
    this.textEnd = c.textEnd;
    this.descEnd = c.descEnd;
    this.line = c.line;
    this.lineCount = c.lineCount;
    this.complete = c.complete;
    this.charge = c.charge;
    this.chargeExact = c.chargeExact;
    this.flagBits = c.flagBits;
    this.expirySeconds = c.expirySeconds;
    this.permMask = c.permMask;
    this.typeId = c.typeId;
    this.summaryCode = c.summaryCode;
    if (capacity >= POOLED_ROWS) COLUMNS_FREED.register(this, c, this);
  }

  /** Rows the columns have room for. */
  get capacity(): number {
    return this.serial.length;
  }

  /** Room for `capacity` rows (a file larger than expected). */
  grow(capacity: number): void {
    const n = this.count;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    const u32 = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    const u16 = (a: Uint16Array): Uint16Array => {
      const b = new Uint16Array(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    this.serial = f64(this.serial);
    this.usage = f64(this.usage);
    this.uid = f64(this.uid);
    this.gid = f64(this.gid);
    this.textStart = u32(this.textStart);
    this.textEnd = u32(this.textEnd);
    this.descEnd = u32(this.descEnd);
    this.line = u32(this.line);
    this.lineCount = u32(this.lineCount);
    this.complete = u8(this.complete);
    this.charge = f64(this.charge);
    this.chargeExact = u8(this.chargeExact);
    this.flagBits = u8(this.flagBits);
    this.expirySeconds = f64(this.expirySeconds);
    this.permMask = u32(this.permMask);
    this.typeId = u16(this.typeId);
    this.summaryCode = f64(this.summaryCode);
    // The columns outgrown are garbage now; the new ones go back to the pool when the table does.
    COLUMNS_FREED.unregister(this);
    if (capacity >= POOLED_ROWS) COLUMNS_FREED.register(this, columnsOf(this), this);
  }

  /** Set row `i`'s charge columns from its description, type, flags and summary (the parser, and a fold that rewrites a row). */
  recharge(i: number): void {
    const type = this.typeAt(i).name;
    const bits = this.flagBits[i] as number;
    const positive = (bits & FLAG_I) !== 0 && (bits & FLAG_N) === 0;
    const summary = this.summaryAt(i);
    this.charge[i] = chargeMin(this.descriptionLength(i), type, positive, summary);
    this.chargeExact[i] = chargeExact(type, positive, summary) ? 1 : 0;
  }

  /** The description's length in bytes (what the kernel charges for it). */
  descriptionLength(i: number): number {
    const o = this.override.size === 0 ? undefined : this.override.get(i);
    if (o !== undefined) return o.description.length;
    const prefix = this.requestKeyAuth(i) ? 4 : 0;
    return (this.descEnd[i] as number) - (this.textStart[i] as number) - prefix;
  }

  description(i: number): string {
    const o = this.override.size === 0 ? undefined : this.override.get(i);
    if (o !== undefined) return o.description;
    const s = this.textStart[i] as number;
    const d = this.descEnd[i] as number;
    // .request_key_auth prints "key:" before the description (key-summary.ts)
    return this.requestKeyAuth(i) ? this.source.latin1(s + 4, d) : this.source.latin1(s, d);
  }

  summaryText(i: number): string {
    const o = this.override.get(i);
    if (o !== undefined) return o.summaryText;
    const s = this.textStart[i] as number;
    const d = this.descEnd[i] as number;
    const e = this.textEnd[i] as number;
    return this.requestKeyAuth(i) ? this.source.latin1(s, s + 4) + this.source.latin1(d, e) : this.source.latin1(d, e);
  }

  /** Everything the kernel printed after the type column. */
  text(i: number): string {
    const o = this.override.get(i);
    return o !== undefined ? o.text : this.source.latin1(this.textStart[i] as number, this.textEnd[i] as number);
  }

  serialHex(i: number): string {
    return (this.serial[i] as number).toString(16).padStart(8, '0');
  }

  /** Row `i`'s flags, decoded. */
  flagsAt(i: number): FlagsInfo {
    return flagsInfoOf(this.flagWidth, this.flagBits[i] as number);
  }

  /** Row `i`'s expiry, decoded. */
  expiryAt(i: number): KeyExpiry {
    return expiryOfSeconds(this.expirySeconds[i] as number);
  }

  /** Row `i`'s summary, decoded. */
  summaryAt(i: number): KeySummary | null {
    const code = this.summaryCode[i] as number;
    if (code === -1) return null;
    if (code === -2) return this.otherSummaries.get(i) ?? null;
    return code % 2 === 0 ? keyringSummary(code / 2) : lengthSummary((code - 1) / 2);
  }

  /** Set row `i`'s summary (the parser, and a fold that rewrites a row). */
  setSummary(i: number, s: KeySummary | null): void {
    const code = summaryCodeOf(s);
    this.summaryCode[i] = code;
    if (code === -2) this.otherSummaries.set(i, s as KeySummary);
    else if (this.otherSummaries.size > 0) this.otherSummaries.delete(i);
  }

  /** Whether row `i` is a .request_key_auth key's, whose text starts with "key:" (key-summary.ts). */
  private requestKeyAuth(i: number): boolean {
    return this.summaryCode[i] === -2 && this.otherSummaries.get(i)?.kind === 'request_key_auth';
  }

  /** Row `i`'s type. */
  typeAt(i: number): DecodedKeyType {
    const id = this.typeId[i] as number;
    return id !== 0 ? typeOfId(id) : (this.otherTypes.get(i) as DecodedKeyType);
  }

  /** Row `i`'s perm, decoded. */
  permAt(i: number): KeyPermissions {
    return permissionsOf(this.permMask[i] as number, this.permWidth);
  }

  /** The row as an object. */
  record(i: number): KeyRecord {
    const f = this.flagsAt(i);
    return {
      serial: this.serialHex(i),
      serialNumber: this.serial[i] as number,
      flagsRaw: f.raw,
      flags: f.flags,
      usage: this.usage[i] as number,
      expiry: this.expiryAt(i),
      perm: this.permAt(i),
      uid: this.uid[i] as number,
      gid: this.gid[i] as number,
      type: this.typeAt(i),
      description: this.description(i),
      summary: this.summaryAt(i),
      summaryText: this.summaryText(i),
      line: this.line[i] as number,
      lineCount: this.lineCount[i] as number,
      embeddedRecordLines: this.embedded.get(i) ?? NO_LINES,
      complete: this.complete[i] === 1,
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
