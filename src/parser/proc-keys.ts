/**
 * /proc/keys (security/keys/proc.c proc_keys_show()): one record per key, in ascending serial order, each the
 * fixed prefix (key-line.ts), the type's describe() output and "\n". Descriptions are printed raw, so any user
 * can put newlines and whole record-like lines into the file (kernel-format.md §1.12).
 *
 * With the kernel's answers (KEYCTL_DESCRIBE per serial: key-answer.ts) the parse is exact: a record confirmed
 * by its answer ends where its description, whose bytes the kernel gave, and the one-line summary after it end,
 * so the next line is always the kernel's next record and no text inside a description is ever read as one.
 * Without them (a paste, an old capture) record boundaries are guessed from text: every record is then
 * `unconfirmed`, and the classifier's invariants (classify/key-trust.ts) judge what the text cannot.
 *
 * Pure, linear in the input, never throws; issues are bounded (parse-issue.ts).
 */
import type { KernelAnswers } from './key-answer.js';
import type { KeyRecord } from './key-record.js';
import { createLineDecoder } from './key-record-build.js';
import { createIssueSink, type IssueSink, type ParseIssue } from './parse-issue.js';
import { createExactParse } from './proc-keys-exact.js';
import { countLines, type Parsed, type UnconfirmedRecord } from './proc-keys-lines.js';
import { parseText } from './proc-keys-text.js';
import type { ReadMemo } from './read-memo.js';

export { formatKeyHeader, keyText, type KeyRecord } from './key-record.js';
export type { UnconfirmedRecord } from './proc-keys-lines.js';

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
  /** Records the kernel was asked about and did not confirm (it vanished or changed after the read). */
  unconfirmed: UnconfirmedRecord[];
  /** The first issues (parse-issue.ts MAX_ISSUES_KEPT) ... */
  issues: ParseIssue[];
  /** ... of this many. */
  issueCount: number;
  format: ProcKeysFormat;
  /** Where the answers that confirmed the records came from; null when records were read from text alone. */
  confirmedBy: KernelAnswers['from'] | null;
  /** The records of the trust store's keyrings (trust-keyrings.ts), in file order. */
  trustKeyrings: KeyRecord[];
}

/** A parse of /proc/keys with the kernel's answers, fed its text a window at a time as it is read. */
export interface ProcKeysStream {
  /**
   * Parse what `window`, the file's text from offset `at`, holds whole (all of it when `final`: it runs to the
   * file's end). Returns where the next window must start.
   */
  push(window: string, at: number, final: boolean): number;
  /** The parse, once the final window was pushed. */
  result(): ProcKeysParseResult;
}

/**
 * Parse the live /proc/keys as it is read. `answers`: the kernel's; `memo`: what a serving exporter's last read
 * confirmed (read-memo.ts); `onRecord`: told each record as it is parsed (the result holds them all, and may
 * leave out one told of: a copy found to be text of the record before it).
 */
/**
 * Told each record of a parse as it is made, and the array the parse appends it to (the parse's records, which
 * a result without copies to fold holds as they are: inventory.ts then takes that array as it is).
 */
export type RecordSink = (r: KeyRecord, records: readonly KeyRecord[]) => void;

export function streamProcKeys(answers: KernelAnswers, memo?: ReadMemo, onRecord?: RecordSink): ProcKeysStream {
  const issues = createIssueSink('keys');
  const parse = createExactParse(answers, createLineDecoder(), issues, memo, onRecord);
  /** Whether the last window ended without a newline. */
  let cut = false;
  return {
    push(window: string, at: number, final: boolean): number {
      if (final) cut = window.length > 0 && !window.endsWith('\n');
      return parse.feed(window, at, final);
    },
    result(): ProcKeysParseResult {
      const parsed = parse.end();
      const physicalLines = parse.lines;
      if (cut) issues.add(physicalLines, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
      return result(parsed, issues, physicalLines, 'lf', answers.from);
    },
  };
}

function result({ records, unconfirmed, trustKeyrings }: Parsed, issues: IssueSink, physicalLines: number, lineEndings: 'lf' | 'crlf', confirmedBy: KernelAnswers['from'] | null): ProcKeysParseResult {
  const first = records[0];
  return {
    records,
    unconfirmed,
    trustKeyrings,
    issues: issues.kept,
    issueCount: issues.count,
    format: {
      flagWidth: first === undefined ? null : (first.flagsRaw.length as 6 | 7),
      permWidth: first === undefined ? null : (first.perm.hex.length as 6 | 8),
      lineEndings,
      physicalLines,
    },
    confirmedBy,
  };
}

/**
 * Parse /proc/keys (a latin1 byte string). `answers`: the kernel's, for an exact parse; `memo`: what a serving
 * exporter's last exact parse confirmed (read-memo.ts).
 */
export function parseProcKeys(input: string, answers?: KernelAnswers, memo?: ReadMemo): ProcKeysParseResult {
  if (answers !== undefined) {
    const stream = streamProcKeys(answers, memo);
    stream.push(input, 0, true);
    return stream.result();
  }
  const issues = createIssueSink('keys');
  // A paste whose every line ends with CR (CRLF; a lone CR may end a description): the CRs are not the kernel's.
  // Blanks a terminal added at line ends stay: a description may end with them, and a record reproduces its line.
  const crlf = input !== '' && !/(?:^|[^\r])\n/.test(input) && /[\r\n]$/.test(input);
  const text = crlf ? input.replace(/\r(?=\n|$)/g, '') : input;
  const cut = (text.length > 0 && !text.endsWith('\n')) || (crlf && !input.endsWith('\n'));
  // A CRLF paste cut after a last line that was only its CR: that line is empty now, and not in `text`.
  const emptyLast = cut && (text.length === 0 || text.endsWith('\n'));
  const parsed = parseText(text, createLineDecoder(), issues, emptyLast);
  let physicalLines = text.length === 0 ? 0 : countLines(text, 0, text.length) - (text.endsWith('\n') ? 1 : 0);
  if (emptyLast) physicalLines++;
  if (cut) issues.add(physicalLines, 'no_trailing_newline', 'the file does not end with a newline: the read was cut short');
  return result(parsed, issues, physicalLines, crlf ? 'crlf' : 'lf', null);
}
