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
import { createScannedLine, scanKeyLineAt, type ScannedLine } from './key-line.js';
import { KeyTable } from './key-table.js';
import { byteSourceOf, type ByteSource } from './byte-source.js';
import { splitDescriptionSummary, splitRange, type RangeSplit } from './key-summary.js';
import type { ParseIssue } from './parse-issue.js';
import type { KeyRecord } from './key-record.js';

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
function impossibleRecord(h: ScannedLine, format: ProcKeysFormat): string | null {
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
  /** The file has ended: `src.bytes` is all of it. Parses the rest and returns the result; the stream is spent. */
  finish(src: ByteSource): ProcKeysTableResult;
}

/** A stream for a file of about `expectedBytes` (what sizes the tables; they grow if the file is larger). */
export function streamProcKeys(expectedBytes = 0): ProcKeysStream {
  return createStream(false, expectedBytes);
}

/**
 * The parser. Lines are split and parsed as they complete, assuming LF endings: a file whose every line ends
 * with CR (a paste from Windows; no kernel prints one) is parsed again as CRLF when it ends.
 */
function createStream(crlf: boolean, expectedBytes: number): ProcKeysStream {
  const issues: ParseIssue[] = [];
  let src: ByteSource = byteSourceOf('');
  let bytes = src.bytes;
  let size = 0;

  // Physical lines as offsets into the input: no line is copied out unless it is needed. Sized for the
  // shortest line a record can have (60 bytes), grown if the lines are shorter or the file longer.
  let starts = new Uint32Array(Math.ceil(expectedBytes / 60) + 16);
  let ends = new Uint32Array(starts.length);
  let lineCount = 0;
  /** Where the next line starts (the bytes before it are split into lines). */
  let scanned0 = 0;
  /** Lines ending with CR (a CRLF file if that is every line). */
  let crLines = 0;
  const addLine = (start: number, end: number): void => {
    if (lineCount === starts.length) {
      const s2 = new Uint32Array(starts.length * 2);
      const e2 = new Uint32Array(starts.length * 2);
      s2.set(starts);
      e2.set(ends);
      starts = s2;
      ends = e2;
    }
    if (end > start && bytes[end - 1] === 0x0d) crLines++;
    starts[lineCount] = start;
    ends[lineCount] = crlf ? end - 1 : end;
    lineCount++;
  };
  /** Split the complete lines of bytes [scanned0, size). */
  const splitLines = (): void => {
    const view = bytes.length === size ? bytes : bytes.subarray(0, size);
    for (let pos = scanned0; pos < size; ) {
      const nl = view.indexOf(0x0a, pos);
      if (nl < 0) break;
      addLine(pos, nl);
      pos = scanned0 = nl + 1;
    }
  };
  const lineText = (i: number): string => src.latin1(starts[i] as number, ends[i] as number);

  const format: ProcKeysFormat = { flagWidth: null, permWidth: null, lineEndings: crlf ? 'crlf' : 'lf', physicalLines: 0 };
  const issue = (lineIndex: number, code: ParseIssue['code'], message: string): void => {
    issues.push({ code, file: 'keys', line: lineIndex + 1, message });
  };

  const table = new KeyTable(src, starts.length);
  // `scanned` receives each line; opening a record swaps it with `header` (no field copying).
  let scanned = createScannedLine();
  let header = createScannedLine();

  // The open record: only one is open at a time, so its state lives in these variables and in `header`.
  let open = false;
  let recFirst = 0;
  let recLast = 0;
  let recFolds: Fold[] | null = null;
  let recClosed = false;
  const recSplit: RangeSplit = { descEnd: 0, summary: null, complete: true };
  /** Set when the record's text is not one contiguous range of the file (CRLF stripped). */
  let recJoined: string | null = null;
  let recJoinedSplit: ReturnType<typeof splitDescriptionSummary> | null = null;

  /**
   * Lines added since the record was last split. Splitting is deferred until someone asks whether the record
   * is complete: re-splitting after every line would make a description of 4095 newlines (which any user can
   * write) cost quadratic time on every scrape.
   */
  let dirty = false;

  const positive = (): boolean => header.flags.flags.instantiated && !header.flags.flags.negative;
  const complete = (): boolean => {
    if (dirty) split();
    return recJoinedSplit !== null ? recJoinedSplit.complete : recSplit.complete;
  };
  /** Bytes the record spans (CR included under CRLF): bounds how far a record waiting for its summary reaches. */
  const textLength = (): number => (ends[recLast] as number) - header.textStart;

  /** Re-split the open record's text for its lines recFirst..recLast. */
  const split = (): void => {
    dirty = false;
    if (!crlf || recLast === recFirst) {
      recJoined = null;
      recJoinedSplit = null;
      splitRange(header.type.name, src, header.textStart, ends[recLast] as number, positive(), header.flags.flags.revoked, recSplit);
      return;
    }
    let t = src.latin1(header.textStart, ends[recFirst] as number);
    for (let k = recFirst + 1; k <= recLast; k++) t += '\n' + lineText(k);
    recJoined = t;
    recJoinedSplit = splitDescriptionSummary(header.type.name, t, positive(), header.flags.flags.revoked);
  };
  const openRecord = (i: number): void => {
    const previous = header;
    header = scanned;
    scanned = previous;
    open = true;
    recFirst = recLast = i;
    recFolds = null;
    recClosed = false;
    split();
  };
  const append = (i: number, kind: 'own' | 'certain' | 'more'): void => {
    recLast = i;
    if (kind !== 'own') (recFolds ??= []).push({ line: i, kind });
    dirty = true;
  };
  const cutTo = (last: number): void => {
    recLast = last;
    if (recFolds !== null) {
      recFolds = recFolds.filter((f) => f.line <= last);
      if (recFolds.length === 0) recFolds = null;
    }
    split();
  };

  const emit = (): void => {
    if (dirty) split();
    if (table.count === table.capacity) table.grow(table.capacity * 2 + 16);
    const n = table.count++;
    table.serial[n] = header.serialNumber;
    table.flags[n] = header.flags;
    table.usage[n] = header.usage;
    table.expiry[n] = header.expiry;
    table.perm[n] = header.perm;
    table.uid[n] = header.uid;
    table.gid[n] = header.gid;
    table.type[n] = header.type;
    table.textStart[n] = header.textStart;
    table.textEnd[n] = ends[recLast] as number;
    table.line[n] = recFirst + 1;
    table.lineCount[n] = recLast - recFirst + 1;
    if (recJoinedSplit !== null && recJoined !== null) {
      table.descEnd[n] = ends[recLast] as number;
      table.summary[n] = recJoinedSplit.summary;
      table.complete[n] = recJoinedSplit.complete ? 1 : 0;
      table.override.set(n, { text: recJoined, description: recJoinedSplit.description, summaryText: recJoinedSplit.summaryText });
    } else {
      table.descEnd[n] = recSplit.descEnd;
      table.summary[n] = recSplit.summary;
      table.complete[n] = recSplit.complete ? 1 : 0;
    }
    if (recFolds !== null) table.embedded.set(n, recFolds.map((f) => f.line + 1));
    // Continuation text that starts like a record but is not one stays in the description, as the kernel may
    // print it, but never silently: a re-spaced or edited paste, or a description written to look like /proc/keys.
    for (let k = recFirst + 1; k <= recLast; k++)
      if (startsLikeRecord(bytes, starts[k] as number, ends[k] as number) && !(recFolds?.some((f) => f.line === k) ?? false))
        issue(k, 'near_record_line', `starts like a record (serial and flags) but its columns are not what proc_keys_show() prints; read as part of the description of the key at line ${recFirst + 1}`);
    open = false;
  };

  /** Drop trailing lines until the record ends with its summary; report what was dropped. */
  const trimToSummary = (): void => {
    const lastBefore = recLast;
    for (let keep = recLast - 1; keep >= recFirst; keep--) {
      cutTo(keep);
      if (complete()) {
        for (let t = keep + 1; t <= lastBefore; t++)
          issue(t, 'unparseable_line', `not a record, and the record at line ${recFirst + 1} already ended with its summary`);
        return;
      }
    }
    // Not even the first line ends with the summary: keep what the kernel printed up to here and report it.
    for (let t = recFirst + 1; t <= lastBefore; t++)
      issue(t, 'unparseable_line', `not a record, and the record at line ${recFirst + 1} does not end with its summary`);
    issue(recFirst, 'missing_summary', `a positive ${header.type.name} key always ends with its summary; this record has none (damaged or truncated)`);
  };

  /**
   * Close the open record. If it never printed the summary its type requires, the folds made while waiting for
   * it were real records after all (the record is damaged, not multi-line): cut the record back before the
   * first of them, close it to further folding, and return the line to resume from. Otherwise trim
   * continuation lines a kernel could not have printed, emit the record and return -1.
   */
  const finalize = (): number => {
    if (!complete()) {
      const firstMore = recFolds?.find((f) => f.kind === 'more');
      if (firstMore !== undefined) {
        cutTo(firstMore.line - 1);
        recClosed = true;
        return firstMore.line;
      }
      trimToSummary();
    }
    emit();
    return -1;
  };

  /** The next line to parse. */
  let i = 0;
  /** Parse the lines split so far; at the end of the file (`eof`), close the last record. */
  const advance = (eof: boolean): void => {
    for (;;) {
      if (i >= lineCount) {
        if (!eof || !open) break;
        const resume = finalize();
        if (resume < 0) break;
        i = resume; // the record stays open, closed to folding: the resumed lines are compared with it
        continue;
      }
      if (!scanKeyLineAt(src, starts[i] as number, ends[i] as number, scanned)) {
        if (open) append(i, 'own');
        else issue(i, 'unparseable_line', describeUnparseable(lineText(i)));
        i++;
        continue;
      }
      if (!open) {
        const why = impossibleRecord(scanned, format);
        if (why !== null) issue(i, 'unparseable_line', `looks like a record but ${why}`);
        else {
          if (format.flagWidth === null) {
            // The first record of a read cannot sit inside a description: it sets the format of the whole file.
            // Only a line accepted as a record does: a rejected one says nothing about the kernel that printed the rest.
            format.flagWidth = scanned.flags.raw.length as 6 | 7;
            format.permWidth = scanned.perm.hex.length as 6 | 8;
          }
          openRecord(i);
        }
        i++;
        continue;
      }
      const certain = scanned.serialNumber <= header.serialNumber ? 'serial not above the previous record' : impossibleRecord(scanned, format);
      if (certain !== null) {
        append(i, 'certain');
        i++;
        continue;
      }
      if (!recClosed && !complete() && textLength() <= MAX_RECORD_TEXT) {
        append(i, 'more');
        i++;
        continue;
      }
      const resume = finalize();
      if (resume >= 0) {
        i = resume;
        continue;
      }
      openRecord(i);
      i++;
    }
  };

  let spent = false;
  return {
    feed(next: ByteSource, available: number): void {
      if (spent) throw new Error('the /proc/keys stream has finished');
      src = next;
      bytes = next.bytes;
      size = available;
      splitLines();
      advance(false);
    },
    finish(whole: ByteSource): ProcKeysTableResult {
      if (spent) throw new Error('the /proc/keys stream has finished');
      spent = true;
      src = whole;
      bytes = whole.bytes;
      size = bytes.length;
      splitLines();
      if (scanned0 < size) addLine(scanned0, size);
      // CRLF only when every line ends with CR: a single CR at a line end may belong to a description.
      if (!crlf && lineCount > 0 && crLines === lineCount) {
        const again = createStream(true, size);
        again.feed(whole, size);
        return again.finish(whole);
      }
      advance(true);
      table.source = whole;
      format.physicalLines = lineCount;
      const trailingNewline = size === 0 || bytes[size - 1] === 0x0a;
      if (!trailingNewline) issue(lineCount - 1, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
      issues.sort((a, b) => a.line - b.line);
      return { table, issues, format };
    },
  };
}

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
