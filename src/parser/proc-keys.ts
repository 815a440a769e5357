/**
 * Parser for /proc/keys (security/keys/proc.c proc_keys_show(); format in kernel-format.md §1).
 *
 * Pure: a byte string (latin1, one char per byte) in, records and issues out; never throws.
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
import type { KeyFlags } from './key-flags.js';
import { scanKeyLineAt, scannedTextStart } from './key-line.js';
import { byteSourceOf, type ByteSource } from './byte-source.js';
import { splitDescriptionSummary, type SplitText } from './key-summary.js';
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

function isPositive(flags: KeyFlags): boolean {
  return flags.instantiated && !flags.negative;
}

/** Invariants that hold for every record a kernel prints, whatever came before it. */
function impossibleRecord(h: KeyRecord, format: ProcKeysFormat): string | null {
  if (format.flagWidth !== null && h.flagsRaw.length !== format.flagWidth)
    return `${h.flagsRaw.length} flag characters where this file has ${format.flagWidth}`;
  if (format.permWidth !== null && h.perm.hex.length !== format.permWidth)
    return `a ${h.perm.hex.length}-digit perm where this file has ${format.permWidth}`;
  if (h.perm.invalidBits !== 0) return `perm ${h.perm.hex} has bits KEYCTL_SETPERM rejects`;
  if ((h.perm.mask & 0x01010101) === 0) return `perm ${h.perm.hex} grants view to nobody, so no reader could list it`;
  if (h.flags.negative && !h.flags.instantiated) return 'N without I (a negative key is instantiated)';
  if (h.flagsRaw.length === 7 && h.flags.revoked && h.expiry.kind !== 'expd')
    return 'revoked but the expiry is not "expd" (key_revoke() sets it to the revocation time)';
  return null;
}

/** Parse /proc/keys given as a byte string (latin1). */
export function parseProcKeys(input: string): ProcKeysParseResult {
  return parseProcKeysBytes(byteSourceOf(input));
}

/** Parse /proc/keys given as bytes: the form the I/O layer reads it in. */
export function parseProcKeysBytes(src: ByteSource): ProcKeysParseResult {
  const issues: ParseIssue[] = [];
  const records: KeyRecord[] = [];
  const bytes = src.bytes;
  const size = bytes.length;

  // Physical lines as offsets into the input: no line is copied out unless it is needed.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let pos = 0; pos < size; ) {
    const nl = bytes.indexOf(0x0a, pos);
    starts.push(pos);
    ends.push(nl < 0 ? size : nl);
    pos = nl < 0 ? size : nl + 1;
  }
  const lineCount = starts.length;
  const trailingNewline = size === 0 || bytes[size - 1] === 0x0a;
  // CRLF only when every line ends with CR: a single CR at a line end may belong to a description.
  let crlf = lineCount > 0;
  for (let i = 0; i < lineCount && crlf; i++) if (bytes[(ends[i] as number) - 1] !== 0x0d || (ends[i] as number) === (starts[i] as number)) crlf = false;
  if (crlf) for (let i = 0; i < lineCount; i++) ends[i] = (ends[i] as number) - 1;
  const lineText = (i: number): string => src.latin1(starts[i] as number, ends[i] as number);

  const format: ProcKeysFormat = { flagWidth: null, permWidth: null, lineEndings: crlf ? 'crlf' : 'lf', physicalLines: lineCount };
  const issue = (lineIndex: number, code: ParseIssue['code'], message: string): void => {
    issues.push({ code, file: 'keys', line: lineIndex + 1, message });
  };

  // The open record. Only one record is open at a time, so its state lives in these variables.
  let rec: KeyRecord | null = null;
  let recTextStart = 0;
  let recFirst = 0;
  let recLast = 0;
  let recFolds: Fold[] | null = null;
  let recClosed = false;
  let recText = '';
  let recSplit: SplitText & { complete: boolean } = { description: '', summary: null, summaryText: '', complete: true };

  const split = (): void => {
    const h = rec as KeyRecord;
    recSplit = splitDescriptionSummary(h.type.name, recText, isPositive(h.flags), h.flags.revoked);
  };
  /** The open record's text for its lines recFirst..last. Lines are contiguous in the input unless CRLF was stripped. */
  const textUpTo = (last: number): string => {
    if (!crlf || last === recFirst) return src.latin1(recTextStart, ends[last] as number);
    let t = src.latin1(recTextStart, ends[recFirst] as number);
    for (let k = recFirst + 1; k <= last; k++) t += '\n' + lineText(k);
    return t;
  };
  const open = (h: KeyRecord, i: number): void => {
    rec = h;
    recTextStart = scannedTextStart;
    recFirst = recLast = i;
    recFolds = null;
    recClosed = false;
    recText = src.latin1(recTextStart, ends[i] as number);
    split();
  };
  const append = (i: number, kind: 'own' | 'certain' | 'more'): void => {
    recLast = i;
    if (kind !== 'own') (recFolds ??= []).push({ line: i, kind });
    recText = textUpTo(i);
    split();
  };
  const cutTo = (last: number): void => {
    recLast = last;
    if (recFolds !== null) {
      recFolds = recFolds.filter((f) => f.line <= last);
      if (recFolds.length === 0) recFolds = null;
    }
    recText = textUpTo(last);
    split();
  };

  const emit = (): void => {
    // The record object came from the scanner; fill in what the whole record determines.
    const r = rec as KeyRecord;
    r.description = recSplit.description;
    r.summary = recSplit.summary;
    r.summaryText = recSplit.summaryText;
    r.line = recFirst + 1;
    r.lineCount = recLast - recFirst + 1;
    if (recFolds !== null) r.embeddedRecordLines = recFolds.map((f) => f.line + 1);
    r.complete = recSplit.complete;
    records.push(r);
    rec = null;
  };

  /** Drop trailing lines until the record ends with its summary; report what was dropped. */
  const trimToSummary = (): void => {
    const lastBefore = recLast;
    for (let keep = recLast - 1; keep >= recFirst; keep--) {
      cutTo(keep);
      if (recSplit.complete) {
        for (let t = keep + 1; t <= lastBefore; t++)
          issue(t, 'unparseable_line', `not a record, and the record at line ${recFirst + 1} already ended with its summary`);
        return;
      }
    }
    // Not even the first line ends with the summary: keep what the kernel printed up to here and report it.
    for (let t = recFirst + 1; t <= lastBefore; t++)
      issue(t, 'unparseable_line', `not a record, and the record at line ${recFirst + 1} does not end with its summary`);
    issue(
      recFirst,
      'missing_summary',
      `a positive ${(rec as KeyRecord).type.name} key always ends with its summary; this record has none (damaged or truncated)`,
    );
  };

  /**
   * Close the open record. If it never printed the summary its type requires, the folds made while waiting for
   * it were real records after all (the record is damaged, not multi-line): cut the record back before the
   * first of them, close it to further folding, and return the line to resume from. Otherwise trim
   * continuation lines a kernel could not have printed, emit the record and return -1.
   */
  const finalize = (): number => {
    if (!recSplit.complete) {
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

  let i = 0;
  for (;;) {
    if (i >= lineCount) {
      if (rec === null) break;
      const resume = finalize();
      if (resume < 0) break;
      i = resume; // the record stays open, closed to folding: the resumed lines are compared with it
      continue;
    }
    const h = scanKeyLineAt(src, starts[i] as number, ends[i] as number);
    if (h === null) {
      if (rec !== null) append(i, 'own');
      else issue(i, 'unparseable_line', describeUnparseable(lineText(i)));
      i++;
      continue;
    }
    if (format.flagWidth === null) {
      // The first record of a read cannot sit inside a description: it sets the format of the whole file.
      format.flagWidth = h.flagsRaw.length as 6 | 7;
      format.permWidth = h.perm.hex.length as 6 | 8;
    }
    if (rec === null) {
      const why = impossibleRecord(h, format);
      if (why !== null) issue(i, 'unparseable_line', `looks like a record but ${why}`);
      else open(h, i);
      i++;
      continue;
    }
    const current: KeyRecord = rec;
    const certain = h.serialNumber <= current.serialNumber ? 'serial not above the previous record' : impossibleRecord(h, format);
    if (certain !== null) {
      append(i, 'certain');
      i++;
      continue;
    }
    if (!recClosed && !recSplit.complete && recText.length <= MAX_RECORD_TEXT) {
      append(i, 'more');
      i++;
      continue;
    }
    const resume = finalize();
    if (resume >= 0) {
      i = resume;
      continue;
    }
    open(h, i);
    i++;
  }
  if (!trailingNewline) issue(lineCount - 1, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
  issues.sort((a, b) => a.line - b.line);
  return { records, issues, format };
}

function describeUnparseable(line: string): string {
  if (line.length === 0) return 'empty line (the kernel prints none)';
  if (/^\s/.test(line)) return 'not a record: starts with white space and follows no record';
  return 'not a record: does not match the fields proc_keys_show() prints';
}
