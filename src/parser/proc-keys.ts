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
import type { KeyExpiry } from './key-expiry.js';
import type { KeyFlags } from './key-flags.js';
import { scanKeyLine, type KeyLineHeader } from './key-line.js';
import type { KeyPermissions } from './key-permissions.js';
import { splitDescriptionSummary, summaryRequired, type KeySummary } from './key-summary.js';
import type { DecodedKeyType } from './key-type.js';
import type { ParseIssue } from './parse-issue.js';

/** The longest description userspace can set (4095 bytes) plus room for the longest summary. */
const MAX_RECORD_TEXT = 4095 + 128;

export interface KeyRecord {
  /** The serial as printed: 8 lower-case hex digits. */
  serial: string;
  serialNumber: number;
  flagsRaw: string;
  flags: KeyFlags;
  usage: number;
  expiry: KeyExpiry;
  perm: KeyPermissions;
  uid: number;
  gid: number;
  type: DecodedKeyType;
  /** The key's description, byte for byte (a latin1 byte string); may contain newlines. */
  description: string;
  summary: KeySummary | null;
  /** The summary exactly as printed, e.g. `": 12"`; empty when none. */
  summaryText: string;
  /** Everything after the type column, physical lines joined with "\n": lossless. */
  text: string;
  /** The first physical line up to and including the space after the type column: `headerText + text` is the record as printed. */
  headerText: string;
  /** 1-based physical line where the record starts. */
  line: number;
  /** Physical lines the record spans (more than 1 when its description contains newlines). */
  lineCount: number;
  /** Physical lines inside this record that look like records of their own: forged by its description. */
  embeddedRecordLines: number[];
  /** False when a summary the type always prints is missing (a damaged or truncated record). */
  complete: boolean;
}

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

interface Builder {
  header: KeyLineHeader;
  /** Physical line indexes (0-based) in this record, first is the header line. */
  lines: number[];
  /** Kinds parallel to `lines`: own continuation, certain fold, or fold while waiting for the summary. */
  kinds: ('own' | 'certain' | 'more')[];
  text: string;
  complete: boolean;
  required: boolean;
  closed: boolean;
}

/** Split into physical lines; a final "\n" ends the last line rather than starting an empty one. */
function splitLines(text: string): { lines: string[]; crlf: boolean; trailingNewline: boolean } {
  if (text === '') return { lines: [], crlf: false, trailingNewline: true };
  const lines = text.split('\n');
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  // CRLF only when every line ends with CR: a single CR at a line end may belong to a description.
  let crlf = lines.length > 0;
  for (const l of lines) {
    if (!l.endsWith('\r')) {
      crlf = false;
      break;
    }
  }
  if (crlf) for (let i = 0; i < lines.length; i++) lines[i] = (lines[i] as string).slice(0, -1);
  return { lines, crlf, trailingNewline };
}

function isPositive(flags: KeyFlags): boolean {
  return flags.instantiated && !flags.negative;
}

/** Invariants that hold for every record a kernel prints, whatever came before it. */
function impossibleRecord(h: KeyLineHeader, format: ProcKeysFormat): string | null {
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

function startBuilder(header: KeyLineHeader, lineIndex: number, line: string): Builder {
  const text = line.slice(header.textStart);
  const required = summaryRequired(header.type.name, isPositive(header.flags), header.flags.revoked);
  const b: Builder = { header, lines: [lineIndex], kinds: ['own'], text, complete: true, required, closed: false };
  b.complete = !required || splitDescriptionSummary(header.type.name, text, true, header.flags.revoked).complete;
  return b;
}

function appendLine(b: Builder, lineIndex: number, line: string, kind: 'own' | 'certain' | 'more'): void {
  b.lines.push(lineIndex);
  b.kinds.push(kind);
  b.text += '\n' + line;
  if (b.required) b.complete = splitDescriptionSummary(b.header.type.name, b.text, true, b.header.flags.revoked).complete;
}

function rebuildText(b: Builder, lines: string[]): void {
  const first = lines[b.lines[0] as number] as string;
  let text = first.slice(b.header.textStart);
  for (let k = 1; k < b.lines.length; k++) text += '\n' + (lines[b.lines[k] as number] as string);
  b.text = text;
  b.complete =
    !b.required || splitDescriptionSummary(b.header.type.name, text, true, b.header.flags.revoked).complete;
}

export function parseProcKeys(input: string): ProcKeysParseResult {
  const issues: ParseIssue[] = [];
  const records: KeyRecord[] = [];
  const { lines, crlf, trailingNewline } = splitLines(input);
  const format: ProcKeysFormat = {
    flagWidth: null,
    permWidth: null,
    lineEndings: crlf ? 'crlf' : 'lf',
    physicalLines: lines.length,
  };
  const headers: (KeyLineHeader | null)[] = new Array<KeyLineHeader | null>(lines.length);
  for (let i = 0; i < lines.length; i++) headers[i] = scanKeyLine(lines[i] as string);

  const issue = (lineIndex: number, code: ParseIssue['code'], message: string): void => {
    issues.push({ code, file: 'keys', line: lineIndex + 1, message });
  };

  /**
   * Close a record. If it never printed the summary its type requires, the folds made while waiting for it
   * were real records after all (the record is damaged, not multi-line): cut the record back before the
   * first of them, close it to further folding, and return the line to resume from. Otherwise trim
   * continuation lines a kernel could not have printed, emit the record and return -1.
   */
  const finalize = (b: Builder): number => {
    if (!b.complete) {
      const firstMore = b.kinds.indexOf('more');
      if (firstMore > 0) {
        const resume = b.lines[firstMore] as number;
        b.lines.length = firstMore;
        b.kinds.length = firstMore;
        rebuildText(b, lines);
        b.closed = true;
        return resume;
      }
      trimToSummary(b);
    }
    emit(b);
    return -1;
  };

  /** Drop trailing lines until the record ends with its summary; report what was dropped. */
  const trimToSummary = (b: Builder): void => {
    const all = b.lines.slice();
    const allKinds = b.kinds.slice();
    for (let keep = all.length - 1; keep >= 1; keep--) {
      b.lines = all.slice(0, keep);
      b.kinds = allKinds.slice(0, keep);
      rebuildText(b, lines);
      if (b.complete) {
        for (const t of all.slice(keep))
          issue(t, 'unparseable_line', `not a record, and the record at line ${all[0]! + 1} already ended with its summary`);
        return;
      }
    }
    // Not even the first line ends with the summary: keep what the kernel printed up to here and report it.
    b.lines = all.slice(0, 1);
    b.kinds = allKinds.slice(0, 1);
    rebuildText(b, lines);
    for (const t of all.slice(1))
      issue(t, 'unparseable_line', `not a record, and the record at line ${all[0]! + 1} does not end with its summary`);
    issue(
      all[0] as number,
      'missing_summary',
      `a positive ${b.header.type.name} key always ends with its summary; this record has none (damaged or truncated)`,
    );
  };

  const emit = (b: Builder): void => {
    const h = b.header;
    const positive = isPositive(h.flags);
    const split = splitDescriptionSummary(h.type.name, b.text, positive, h.flags.revoked);
    const embedded: number[] = [];
    for (let k = 1; k < b.lines.length; k++) if (b.kinds[k] !== 'own') embedded.push((b.lines[k] as number) + 1);
    records.push({
      serial: h.serial,
      serialNumber: h.serialNumber,
      flagsRaw: h.flagsRaw,
      flags: h.flags,
      usage: h.usage,
      expiry: h.expiry,
      perm: h.perm,
      uid: h.uid,
      gid: h.gid,
      type: h.type,
      description: split.description,
      summary: split.summary,
      summaryText: split.summaryText,
      text: b.text,
      headerText: (lines[b.lines[0] as number] as string).slice(0, h.textStart),
      line: (b.lines[0] as number) + 1,
      lineCount: b.lines.length,
      embeddedRecordLines: embedded,
      complete: split.complete,
    });
  };

  let cur: Builder | null = null;
  let i = 0;
  for (;;) {
    if (i >= lines.length) {
      if (cur === null) break;
      const resume = finalize(cur);
      if (resume < 0) break;
      i = resume; // `cur` stays current, closed: the resumed lines are compared with it
      continue;
    }
    const h = headers[i];
    const line = lines[i] as string;
    if (h === null || h === undefined) {
      if (cur !== null) appendLine(cur, i, line, 'own');
      else issue(i, 'unparseable_line', describeUnparseable(line));
      i++;
      continue;
    }
    if (format.flagWidth === null) {
      // The first record of a read cannot sit inside a description: it sets the format of the whole file.
      format.flagWidth = h.flagsRaw.length as 6 | 7;
      format.permWidth = h.perm.hex.length as 6 | 8;
    }
    if (cur === null) {
      const why = impossibleRecord(h, format);
      if (why !== null) issue(i, 'unparseable_line', `looks like a record but ${why}`);
      else cur = startBuilder(h, i, line);
      i++;
      continue;
    }
    const certain =
      h.serialNumber <= cur.header.serialNumber ? 'serial not above the previous record' : impossibleRecord(h, format);
    if (certain !== null) {
      appendLine(cur, i, line, 'certain');
      i++;
      continue;
    }
    if (!cur.closed && !cur.complete && cur.text.length <= MAX_RECORD_TEXT) {
      appendLine(cur, i, line, 'more');
      i++;
      continue;
    }
    const resume = finalize(cur);
    if (resume >= 0) {
      i = resume;
      continue;
    }
    cur = startBuilder(h, i, line);
    i++;
  }
  if (!trailingNewline && lines.length > 0)
    issue(lines.length - 1, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
  issues.sort((a, b) => a.line - b.line);
  return { records, issues, format };
}

function describeUnparseable(line: string): string {
  if (line.length === 0) return 'empty line (the kernel prints none)';
  if (/^\s/.test(line)) return 'not a record: starts with white space and follows no record';
  return 'not a record: does not match the fields proc_keys_show() prints';
}
