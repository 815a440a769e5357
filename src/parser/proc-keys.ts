/**
 * Parser for /proc/keys (security/keys/proc.c proc_keys_show(); format in kernel-format.md §1).
 *
 * Pure: the file's bytes in (a ByteSource; or a latin1 byte string for tests and pastes), a KeyTable of
 * records and a list of issues out; never throws. One bad line costs that line only.
 *
 * Key descriptions are written by unprivileged users and printed raw, so a description containing "\n"
 * spans several physical lines and can forge text that looks like a whole record (§1.12). Records are
 * rebuilt with the invariants a kernel guarantees within one read:
 *   - a line that does not start like a record continues the previous record's description;
 *   - serials are strictly ascending (the seq_file position is the serial), so a record-like line whose
 *     serial is not above the previous record's is text inside that record;
 *   - every line of one read has the same flag and perm widths (one kernel printed them);
 *   - a perm a kernel cannot hold (bits outside 0x3f3f3f3f, no view bit for anyone: the reader needs view),
 *     a revoked key whose expiry is not `expd` (key_revoke() stores the time there), or `N` without `I`
 *     is text, not a record;
 *   - a positive key of a type whose describe() always prints a summary ends with that summary, so while a
 *     record has not printed it yet, record-like lines that follow belong to its description.
 * Record-like lines folded into a description are listed in `embeddedRecordLines`; cross-record and
 * cross-file invariants (singletons, /proc/key-users totals) are applied later by classify/key-trust.ts.
 */
import { createScannedLine, scanKeyLineAt, scannedRow, scanStandardRow, viewOf, type ScannedLine } from './key-line.js';
import * as keyTable from './key-table.js';
import { expiryOfSeconds, expirySecondsOf, fitsWord, flagsInfoOf, KeyTable, permissionsOf } from './key-table.js';
import { byteSourceOf, type ByteSource } from './byte-source.js';
import { splitDescriptionSummary, splitRange, type KeySummary, type RangeSplit } from './key-summary.js';
import type { ParseIssue } from './parse-issue.js';
import type { KeyRecord } from './key-record.js';

// Module-local copies of the row layout's constants: optimised code folds a module's own constants into its
// instructions, but loads an imported binding from its module at every use (a loop storing 14 words a row at
// imported offsets ran 3 times slower than at local ones, measured: docs/benchmarks.md, session 10).
const { ROW_WORDS, W_SERIAL, W_USAGE, W_UID, W_GID, W_TEXT_START, W_TEXT_END, W_DESC_END, W_LINE, W_LINE_COUNT, W_CHARGE, W_EXPIRY, W_PERM, W_BITS, W_SUMMARY, FLAG_BITS_SHIFT, TYPE_ID_MASK, BIT_COMPLETE, BIT_CHARGE_EXACT, FLAG_I, FLAG_N, FLAG_R } = keyTable;
/**
 * Where the next newline is: Buffer#indexOf (a memchr), on any Uint8Array. A method of Buffer, not of the bytes:
 * looked up on the bytes per line, it went through V8's generic property load every time (Buffer.prototype is a
 * dictionary, which optimised code does not cache); looked up once per part, the call was not inlined and the
 * parse took 4% longer. Held by the module, splitting 100,000 lines took 2.2 ms instead of 2.9 (measured). The
 * parser still takes its bytes as any Uint8Array and makes no Buffer.
 */
// eslint-disable-next-line no-restricted-globals -- a memchr for Uint8Arrays; the comment above says why
const findByte = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;

export { formatKeyHeader, keyText, type KeyRecord } from './key-record.js';

/** The longest description userspace can set (4095 bytes) plus room for the longest summary. */
const MAX_RECORD_TEXT = 4095 + 128;

export interface ProcKeysFormat {
  /** 7 since Linux 3.5, 6 before; null when no record was found. */
  flagWidth: 6 | 7 | null;
  /** 8 since 2.6.14, 6 before. */
  permWidth: 6 | 8 | null;
  lineEndings: 'lf' | 'crlf';
  physicalLines: number;
}

export interface ProcKeysParseResult {
  records: KeyRecord[];
  issues: ParseIssue[];
  format: ProcKeysFormat;
}

/** A record-like line folded into the open record's description. */
interface Fold {
  line: number;
  /** `certain`: no kernel prints it as a record here; `more`: folded while the record waited for its summary. */
  kind: 'certain' | 'more';
}

/** Invariants that hold for every record a kernel prints, whatever came before it. */
export function impossibleRecord(h: ScannedLine, format: ProcKeysFormat): string | null {
  if (format.flagWidth !== null && h.flags.raw.length !== format.flagWidth)
    return `${h.flags.raw.length} flag characters where this file has ${format.flagWidth}`;
  if (format.permWidth !== null && h.perm.hex.length !== format.permWidth)
    return `a ${h.perm.hex.length}-digit perm where this file has ${format.permWidth}`;
  // 7 flags arrived in Linux 3.5, 8-digit perms in 2.6.14: no kernel printed 7 flags with a 6-digit perm.
  if (h.flags.raw.length === 7 && h.perm.hex.length === 6) return 'a 6-digit perm with 7 flag characters (no kernel printed both)';
  if (h.perm.invalidBits !== 0) return `perm ${h.perm.hex} has bits KEYCTL_SETPERM rejects`;
  if ((h.perm.mask & 0x01010101) === 0) return `perm ${h.perm.hex} grants view to nobody, so no reader could list it`;
  if (h.flags.flags.negative && !h.flags.flags.instantiated) return 'N without I (a negative key is instantiated)';
  if (h.flags.raw.length === 7 && h.flags.flags.revoked && h.expiry.kind !== 'expd')
    return 'revoked but the expiry is not "expd" (key_revoke() sets it to the revocation time)';
  return null;
}

/**
 * impossibleRecord() !== null for a record in today's layout (7 flags, an 8-digit perm) in a file of that layout,
 * from its numbers: flag bits (FlagsInfo.bits), perm mask and expiry seconds (expirySecondsOf(); 0 is expd).
 * test/parser/proc-keys.test.ts holds the two equal.
 */
export function impossibleStandardRow(bits: number, mask: number, expirySeconds: number): boolean {
  return (
    (mask & ~0x3f3f3f3f) !== 0 ||
    (mask & 0x01010101) === 0 ||
    ((bits & FLAG_N) !== 0 && (bits & FLAG_I) === 0) ||
    ((bits & FLAG_R) !== 0 && expirySeconds !== 0)
  );
}

/** Parse /proc/keys given as a byte string (latin1): records as objects (tests, pastes). */
export function parseProcKeys(input: string): ProcKeysParseResult {
  const r = parseProcKeysBytes(byteSourceOf(input));
  return { records: r.table.records(), issues: r.issues, format: r.format };
}

export interface ProcKeysTableResult {
  table: KeyTable;
  issues: ParseIssue[];
  format: ProcKeysFormat;
}

/** Parse /proc/keys given as bytes (the form the I/O layer reads it in) into a KeyTable. */
export function parseProcKeysBytes(src: ByteSource): ProcKeysTableResult {
  const stream = streamProcKeys(src.bytes.length);
  stream.feed(src, src.bytes.length);
  return stream.finish(src);
}

/**
 * A parse fed as the file is read: the reader hands over each part as it arrives, and the lines completed so
 * far are parsed while the kernel is still printing the rest (procfs/seq-file-reader.ts). The result is the
 * same as parsing the whole file at once, whatever the parts (test/parser/proc-keys-stream.test.ts).
 */
export interface ProcKeysStream {
  /**
   * The first `available` bytes of `src.bytes` are read: parse the lines they complete. The bytes handed over
   * earlier must not change; `src` may be a new buffer holding them.
   */
  feed(src: ByteSource, available: number): void;
  /** The records parsed so far (a record is added once the line after it shows where it ends; none is changed after). */
  readonly table: KeyTable;
  /** The file has ended: `src.bytes` is all of it. Parses the rest and returns the result; the stream is spent. */
  finish(src: ByteSource): ProcKeysTableResult;
}

/** A stream for a file of about `expectedBytes` (what sizes the tables; they grow if the file is larger). */
export function streamProcKeys(expectedBytes = 0): ProcKeysStream {
  return new ProcKeysParser(false, expectedBytes);
}

type Split = ReturnType<typeof splitDescriptionSummary>;

/**
 * The parser. Lines are split and parsed as they complete, assuming LF endings: a file whose every line ends
 * with CR (a paste from Windows; no kernel prints one) is parsed again as CRLF when it ends.
 *
 * A class, not closures over one parse's variables: closures made per read are new functions each read, and
 * V8 optimised each read's anew, while the reader thread was reading (measured with --trace-opt on a serving
 * exporter: the parser's nine closures recompiled on every scrape), and a full collection deoptimised code that
 * had inlined the previous read's. Methods are the same functions for every read.
 */
class ProcKeysParser implements ProcKeysStream {
  private readonly issues: ParseIssue[] = [];
  private src: ByteSource = NO_BYTES;
  private bytes: Uint8Array = NO_BYTES.bytes;
  /** The same bytes, for the scanner's word reads (key-line.ts scanStandardLayout). */
  private view: DataView = viewOf(NO_BYTES.bytes);
  /** Bytes read so far. */
  private size = 0;
  // Physical lines as offsets into the input: no line is copied out unless it is needed. Sized for the
  // shortest line a record can have (60 bytes), grown if the lines are shorter or the file longer.
  private starts: Uint32Array;
  private ends: Uint32Array;
  private lineCount = 0;
  /** Where the next line starts (the bytes before it are split into lines). */
  private scanned0 = 0;
  /** Lines ending with CR (a CRLF file if that is every line). */
  private crLines = 0;
  private readonly format: ProcKeysFormat;
  readonly table: KeyTable;
  /** `scanned` receives each line; opening a record swaps it with `header` (no field copying). */
  private scanned: ScannedLine = createScannedLine();
  private header: ScannedLine = createScannedLine();
  // The open record: only one is open at a time, so its state lives in these fields and in `header`.
  private open = false;
  private recFirst = 0;
  private recLast = 0;
  private recFolds: Fold[] | null = null;
  private recClosed = false;
  private readonly recSplit: RangeSplit = { descEnd: 0, code: -1, summary: null, complete: true, charge: 0, chargeExact: 0 };
  /** Set when the record's text is not one contiguous range of the file (CRLF stripped). */
  private recJoined: string | null = null;
  private recJoinedSplit: Split | null = null;
  /**
   * Lines added since the record was last split. Splitting is deferred until someone asks whether the record
   * is complete: re-splitting after every line would make a description of 4095 newlines (which any user can
   * write) cost quadratic time on every scrape.
   */
  private dirty = false;
  /** The next line to parse. */
  private next = 0;
  private spent = false;

  constructor(
    private readonly crlf: boolean,
    expectedBytes: number,
  ) {
    this.starts = new Uint32Array(Math.ceil(expectedBytes / 60) + 16);
    this.ends = new Uint32Array(this.starts.length);
    this.format = { flagWidth: null, permWidth: null, lineEndings: crlf ? 'crlf' : 'lf', physicalLines: 0 };
    this.table = new KeyTable(NO_BYTES, this.starts.length);
  }

  feed(src: ByteSource, available: number): void {
    if (this.spent) throw new Error('the /proc/keys stream has finished');
    this.src = src;
    if (src.bytes !== this.bytes) this.view = viewOf(src.bytes);
    this.bytes = src.bytes;
    this.size = available;
    // The rows so far can be read (classified) between feeds: their text is in these bytes.
    this.table.source = src;
    this.splitLines();
    this.advance(false);
  }

  finish(whole: ByteSource): ProcKeysTableResult {
    if (this.spent) throw new Error('the /proc/keys stream has finished');
    this.spent = true;
    this.src = whole;
    if (whole.bytes !== this.bytes) this.view = viewOf(whole.bytes);
    this.bytes = whole.bytes;
    const size = (this.size = whole.bytes.length);
    this.splitLines();
    if (this.scanned0 < size) this.addLine(this.scanned0, size);
    // CRLF only when every line ends with CR: a single CR at a line end may belong to a description.
    if (!this.crlf && this.lineCount > 0 && this.crLines === this.lineCount) {
      const again = new ProcKeysParser(true, size);
      again.feed(whole, size);
      return again.finish(whole);
    }
    this.advance(true);
    this.table.source = whole;
    this.format.physicalLines = this.lineCount;
    if (size > 0 && this.bytes[size - 1] !== 0x0a)
      this.issue(this.lineCount - 1, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
    this.issues.sort((a, b) => a.line - b.line);
    return { table: this.table, issues: this.issues, format: this.format };
  }

  private addLine(start: number, end: number): void {
    if (this.lineCount === this.starts.length) {
      const s2 = new Uint32Array(this.starts.length * 2);
      const e2 = new Uint32Array(this.starts.length * 2);
      s2.set(this.starts);
      e2.set(this.ends);
      this.starts = s2;
      this.ends = e2;
    }
    if (end > start && this.bytes[end - 1] === 0x0d) this.crLines++;
    this.starts[this.lineCount] = start;
    this.ends[this.lineCount] = this.crlf ? end - 1 : end;
    this.lineCount++;
  }

  /** Split the complete lines of bytes [scanned0, size). */
  private splitLines(): void {
    const size = this.size;
    const view = this.bytes.length === size ? this.bytes : this.bytes.subarray(0, size);
    for (let pos = this.scanned0; pos < size; ) {
      const nl = findByte.call(view, 0x0a, pos);
      if (nl < 0) break;
      this.addLine(pos, nl);
      pos = this.scanned0 = nl + 1;
    }
  }

  private lineText(i: number): string {
    return this.src.latin1(this.starts[i] as number, this.ends[i] as number);
  }

  private issue(lineIndex: number, code: ParseIssue['code'], message: string): void {
    this.issues.push({ code, file: 'keys', line: lineIndex + 1, message });
  }

  private positive(): boolean {
    const f = this.header.flags.flags;
    return f.instantiated && !f.negative;
  }

  private complete(): boolean {
    if (this.dirty) this.split();
    return this.recJoinedSplit !== null ? this.recJoinedSplit.complete : this.recSplit.complete;
  }

  /** Bytes the record spans (CR included under CRLF): bounds how far a record waiting for its summary reaches. */
  private textLength(): number {
    return (this.ends[this.recLast] as number) - this.header.textStart;
  }

  /** Re-split the open record's text for its lines recFirst..recLast. */
  private split(): void {
    this.dirty = false;
    const h = this.header;
    if (!this.crlf || this.recLast === this.recFirst) {
      this.recJoined = null;
      this.recJoinedSplit = null;
      splitRange(h.type.name, this.src, h.textStart, this.ends[this.recLast] as number, this.positive(), h.flags.flags.revoked, this.recSplit);
      return;
    }
    let t = this.src.latin1(h.textStart, this.ends[this.recFirst] as number);
    for (let k = this.recFirst + 1; k <= this.recLast; k++) t += '\n' + this.lineText(k);
    this.recJoined = t;
    this.recJoinedSplit = splitDescriptionSummary(h.type.name, t, this.positive(), h.flags.flags.revoked);
  }

  private openRecord(i: number): void {
    const previous = this.header;
    this.header = this.scanned;
    this.scanned = previous;
    this.open = true;
    this.recFirst = this.recLast = i;
    this.recFolds = null;
    this.recClosed = false;
    this.split();
  }

  private append(i: number, kind: 'own' | 'certain' | 'more'): void {
    this.recLast = i;
    if (kind !== 'own') (this.recFolds ??= []).push({ line: i, kind });
    this.dirty = true;
  }

  private cutTo(last: number): void {
    this.recLast = last;
    if (this.recFolds !== null) {
      this.recFolds = this.recFolds.filter((f) => f.line <= last);
      if (this.recFolds.length === 0) this.recFolds = null;
    }
    this.split();
  }

  private emit(): void {
    if (this.dirty) this.split();
    const table = this.table;
    const recFirst = this.recFirst;
    const recLast = this.recLast;
    if (table.count === table.capacity) table.grow(table.capacity * 2 + 16);
    const n = table.count++;
    this.writeRow(n);
    const folds = this.recFolds;
    if (folds !== null) table.embedded.set(n, folds.map((f) => f.line + 1));
    // Continuation text that starts like a record but is not one stays in the description, as the kernel may
    // print it, but never silently: a re-spaced or edited paste, or a description written to look like /proc/keys.
    for (let k = recFirst + 1; k <= recLast; k++)
      if (startsLikeRecord(this.bytes, this.starts[k] as number, this.ends[k] as number) && !(folds?.some((f) => f.line === k) ?? false))
        this.issue(k, 'near_record_line', `starts like a record (serial and flags) but its columns are not what proc_keys_show() prints; read as part of the description of the key at line ${recFirst + 1}`);
    this.open = false;
  }

  /** Write the open record, split, as row `n` of the table (which has room for it). */
  private writeRow(n: number): void {
    const table = this.table;
    const h = this.header;
    const recFirst = this.recFirst;
    const recLast = this.recLast;
    const textEnd = this.ends[recLast] as number;
    const o = n * ROW_WORDS;
    const w = table.words;
    w[o + W_SERIAL] = h.serialNumber;
    table.setSigned(n, W_USAGE, h.usage);
    table.setSigned(n, W_UID, h.uid);
    table.setSigned(n, W_GID, h.gid);
    table.setSigned(n, W_EXPIRY, expirySecondsOf(h.expiry));
    w[o + W_PERM] = h.perm.mask;
    if (h.typeId === 0) table.otherTypes.set(n, h.type);
    w[o + W_TEXT_START] = h.textStart;
    w[o + W_TEXT_END] = textEnd;
    w[o + W_LINE] = recFirst + 1;
    w[o + W_LINE_COUNT] = recLast - recFirst + 1;
    const joined = this.recJoinedSplit;
    if (joined !== null && this.recJoined !== null) {
      w[o + W_DESC_END] = textEnd;
      w[o + W_BITS] = h.typeId | (h.flags.bits << FLAG_BITS_SHIFT) | (joined.complete ? BIT_COMPLETE : 0);
      table.setSummary(n, joined.summary);
      table.override.set(n, { text: this.recJoined, description: joined.description, summaryText: joined.summaryText });
      table.recharge(n);
    } else {
      const split = this.recSplit;
      w[o + W_DESC_END] = split.descEnd;
      w[o + W_BITS] = h.typeId | (h.flags.bits << FLAG_BITS_SHIFT) | (split.complete ? BIT_COMPLETE : 0) | (split.chargeExact !== 0 ? BIT_CHARGE_EXACT : 0);
      table.setSummaryCode(n, split.code, split.summary);
      table.setSigned(n, W_CHARGE, split.charge);
    }
  }

  /** Drop trailing lines until the record ends with its summary; report what was dropped. */
  private trimToSummary(): void {
    const lastBefore = this.recLast;
    for (let keep = this.recLast - 1; keep >= this.recFirst; keep--) {
      this.cutTo(keep);
      if (this.complete()) {
        for (let t = keep + 1; t <= lastBefore; t++)
          this.issue(t, 'unparseable_line', `not a record, and the record at line ${this.recFirst + 1} already ended with its summary`);
        return;
      }
    }
    // Not even the first line ends with the summary: keep what the kernel printed up to here and report it.
    for (let t = this.recFirst + 1; t <= lastBefore; t++)
      this.issue(t, 'unparseable_line', `not a record, and the record at line ${this.recFirst + 1} does not end with its summary`);
    this.issue(this.recFirst, 'missing_summary', `a positive ${this.header.type.name} key always ends with its summary; this record has none (damaged or truncated)`);
  }

  /**
   * Close the open record. If it never printed the summary its type requires, the folds made while waiting for
   * it were real records after all (the record is damaged, not multi-line): cut the record back before the
   * first of them, close it to further folding, and return the line to resume from. Otherwise trim
   * continuation lines a kernel could not have printed, emit the record and return -1.
   */
  private finalize(): number {
    if (!this.complete()) {
      const firstMore = this.recFolds?.find((f) => f.kind === 'more');
      if (firstMore !== undefined) {
        this.cutTo(firstMore.line - 1);
        this.recClosed = true;
        return firstMore.line;
      }
      this.trimToSummary();
    }
    this.emit();
    return -1;
  }

  /**
   * What advance() does for the lines of almost every file, in one loop: the open record is one line that
   * ended with its summary, and the next line is a record in today's layout with a higher serial, so the open
   * record is emitted as it is (finalize(), emit()) and the line opens the next (openRecord(), split()). Each
   * line is scanned into the row it becomes (key-line.ts scanStandardRow), which counts once the line after it
   * shows the record ended: no header object per line, and the words emit() would write, written once. Returns
   * the first line not taken; advance() takes that line, whatever it is.
   */
  private runOfRecords(from: number): number {
    if (this.dirty || this.recFolds !== null || this.recFirst !== this.recLast || this.recJoinedSplit !== null || !this.recSplit.complete) return from;
    const format = this.format;
    if (format.flagWidth !== 7 || format.permWidth !== 8) return from;
    const table = this.table;
    const src = this.src;
    const view = this.view;
    const starts = this.starts;
    const ends = this.ends;
    const split = this.recSplit;
    const lines = this.lineCount;
    // The open record as row n, not counted yet; room for the row after it.
    let n = table.count;
    if ((n + 2) * ROW_WORDS > table.words.length) table.grow(table.capacity * 2 + 16);
    this.writeRow(n);
    let w = table.words;
    let o = n * ROW_WORDS;
    let openType = this.header.type;
    let i = from;
    while (i < lines) {
      const next = o + ROW_WORDS;
      if (next + ROW_WORDS > w.length) {
        table.grow(table.capacity * 2 + 16);
        w = table.words;
      }
      const start = starts[i] as number;
      const end = ends[i] as number;
      if (!scanStandardRow(src, start, end, view, w, next)) break;
      const word = w[next + W_BITS] as number;
      const bits = (word >>> FLAG_BITS_SHIFT) & 0xff;
      if ((w[next + W_SERIAL] as number) >>> 0 <= (w[o + W_SERIAL] as number) >>> 0 || impossibleStandardRow(bits, w[next + W_PERM] as number, w[next + W_EXPIRY] as number)) break;
      // The open record ended: its row counts. The line opens the next record, row n + 1, split here.
      table.count = ++n;
      o = next;
      const type = scannedRow.type;
      openType = type;
      splitRange(type.name, src, start + 59, end, (bits & FLAG_I) !== 0 && (bits & FLAG_N) === 0, (bits & FLAG_R) !== 0, split);
      const charge = split.charge;
      const code = split.code;
      w[o + W_TEXT_END] = end;
      w[o + W_DESC_END] = split.descEnd;
      w[o + W_LINE] = i + 1;
      w[o + W_LINE_COUNT] = 1;
      w[o + W_CHARGE] = charge;
      w[o + W_SUMMARY] = code;
      w[o + W_BITS] = word | (split.complete ? BIT_COMPLETE : 0) | (split.chargeExact !== 0 ? BIT_CHARGE_EXACT : 0);
      // A charge counts a summary of any length; the other words of the standard layout fit.
      if (!fitsWord(charge)) table.setSigned(n, W_CHARGE, charge);
      if ((word & TYPE_ID_MASK) === 0) table.otherTypes.set(n, type);
      if (code === -2) table.otherSummaries.set(n, split.summary as KeySummary);
      i++;
      if (!split.complete) break;
    }
    if (i > from) {
      // The open record is row n's line: its header as an object again, for advance() and emit().
      const h = this.header;
      const word = w[o + W_BITS] as number;
      h.serialNumber = (w[o + W_SERIAL] as number) >>> 0;
      h.flags = flagsInfoOf(7, (word >>> FLAG_BITS_SHIFT) & 0xff);
      h.usage = w[o + W_USAGE] as number;
      h.expiry = expiryOfSeconds(w[o + W_EXPIRY] as number);
      h.perm = permissionsOf((w[o + W_PERM] as number) >>> 0, 8);
      h.uid = w[o + W_UID] as number;
      h.gid = w[o + W_GID] as number;
      h.type = openType;
      h.typeId = word & TYPE_ID_MASK;
      h.textStart = w[o + W_TEXT_START] as number;
      this.recFirst = this.recLast = i - 1;
      this.recClosed = false;
    }
    return i;
  }

  /** Parse the lines split so far; at the end of the file (`eof`), close the last record. */
  private advance(eof: boolean): void {
    const format = this.format;
    const src = this.src;
    let i = this.next;
    for (;;) {
      if (this.open && i < this.lineCount) i = this.runOfRecords(i);
      if (i >= this.lineCount) {
        if (!eof || !this.open) break;
        const resume = this.finalize();
        if (resume < 0) break;
        i = resume; // the record stays open, closed to folding: the resumed lines are compared with it
        continue;
      }
      const scanned = this.scanned;
      if (!scanKeyLineAt(src, this.starts[i] as number, this.ends[i] as number, scanned, this.view)) {
        if (this.open) this.append(i, 'own');
        else this.issue(i, 'unparseable_line', describeUnparseable(this.lineText(i)));
        i++;
        continue;
      }
      if (!this.open) {
        const why = impossibleRecord(scanned, format);
        if (why !== null) this.issue(i, 'unparseable_line', `looks like a record but ${why}`);
        else {
          if (format.flagWidth === null) {
            // The first record of a read cannot sit inside a description: it sets the format of the whole file.
            // Only a line accepted as a record does: a rejected one says nothing about the kernel that printed the rest.
            format.flagWidth = this.table.flagWidth = scanned.flags.raw.length as 6 | 7;
            format.permWidth = this.table.permWidth = scanned.perm.hex.length as 6 | 8;
          }
          this.openRecord(i);
        }
        i++;
        continue;
      }
      const certain = scanned.serialNumber <= this.header.serialNumber ? 'serial not above the previous record' : impossibleRecord(scanned, format);
      if (certain !== null) {
        this.append(i, 'certain');
        i++;
        continue;
      }
      if (!this.recClosed && !this.complete() && this.textLength() <= MAX_RECORD_TEXT) {
        this.append(i, 'more');
        i++;
        continue;
      }
      const resume = this.finalize();
      if (resume >= 0) {
        i = resume;
        continue;
      }
      this.openRecord(i);
      i++;
    }
    this.next = i;
  }
}

/** The bytes of no file: a parser's before its first feed. */
const NO_BYTES: ByteSource = byteSourceOf('');

/** A spent parser, kept for its hidden class (parser/key-table.ts EMPTY_KEY_TABLE says why). */
export const SPENT_PARSER: ProcKeysStream = new ProcKeysParser(false, 0);
SPENT_PARSER.finish(NO_BYTES);

/** Flag letters by position (key-flags.ts), any of which may be '-'. */
const FLAG_LETTERS = [0x49, 0x52, 0x44, 0x51, 0x55, 0x4e, 0x69];

/** "%08x " then 6 or 7 flag characters and a space: the start of a record line, whatever follows. */
function startsLikeRecord(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 16) return false;
  for (let j = start; j < start + 8; j++) {
    const c = b[j] as number;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  if (b[start + 8] !== 0x20) return false;
  let k = 0;
  for (; k < 7 && start + 9 + k < end; k++) {
    const c = b[start + 9 + k] as number;
    if (c !== 0x2d && c !== FLAG_LETTERS[k]) break;
  }
  return (k === 6 || k === 7) && b[start + 9 + k] === 0x20;
}

function describeUnparseable(line: string): string {
  if (line.length === 0) return 'empty line (the kernel prints none)';
  if (/^\s/.test(line)) return 'not a record: starts with white space and follows no record';
  return 'not a record: does not match the fields proc_keys_show() prints';
}
