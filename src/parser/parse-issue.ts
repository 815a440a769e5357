/**
 * Problems found while parsing are values, not exceptions (architecture habit 2).
 * Every issue names the file, a 1-based physical line (0 when it concerns the whole file) and a stable code.
 */
export const PARSE_ISSUE_CODES = [
  'unparseable_line',
  'missing_summary',
  'near_record_line',
  'no_trailing_newline',
  'bad_number',
  'unknown_sysctl_value',
  'unconfirmed_record',
] as const;
export type ParseIssueCode = (typeof PARSE_ISSUE_CODES)[number];

export const PROC_FILES = ['keys', 'key-users', 'sys/kernel/keys'] as const;
export type ProcFileName = (typeof PROC_FILES)[number];

export interface ParseIssue {
  code: ParseIssueCode;
  file: ProcFileName;
  /** 1-based physical line; 0 when the issue concerns the whole file. */
  line: number;
  message: string;
}

/** Issues kept per file: a hostile file can make one per line, and a report names the first few and the count. */
export const MAX_ISSUES_KEPT = 10;

/** Collects a file's issues: counts them all, keeps the first MAX_ISSUES_KEPT. */
export interface IssueSink {
  add(line: number, code: ParseIssueCode, message: string): void;
  readonly kept: ParseIssue[];
  readonly count: number;
}

export function createIssueSink(file: ProcFileName): IssueSink {
  const kept: ParseIssue[] = [];
  let count = 0;
  return {
    add(line, code, message) {
      count++;
      if (kept.length < MAX_ISSUES_KEPT) kept.push({ code, file, line, message });
    },
    kept,
    get count() {
      return count;
    },
  };
}
