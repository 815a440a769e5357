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
