/**
 * Parser for /proc/key-users: security/keys/proc.c proc_key_users_show() prints
 *   "%5u: %5d %d/%d %d/%d %d/%d\n"
 * uid, usage, nkeys/nikeys, qnkeys/maxkeys, qnbytes/maxbytes (kernel-format.md §2). No user-written text
 * appears in this file, so widths are accepted as they come (pastes re-align them) and each line stands
 * alone: a bad line costs that line only.
 */
import type { ParseIssue } from './parse-issue.js';

export interface KeyUserRecord {
  uid: number;
  /** Reference count of the kernel's key_user record. */
  usage: number;
  /** Keys owned by the uid, in any state and in quota or not. */
  nkeys: number;
  /** Of those, instantiated (positively or negatively); nkeys - nikeys are under construction. */
  nikeys: number;
  /** Keys charged to the quota (flag Q). */
  qnkeys: number;
  /** The key quota that applies: root_maxkeys for the initial namespace's root, else maxkeys. */
  maxkeys: number;
  qnbytes: number;
  maxbytes: number;
  line: number;
}

export interface ProcKeyUsersParseResult {
  users: KeyUserRecord[];
  issues: ParseIssue[];
}

const LINE = /^ *(\d{1,10}): +(-?\d{1,10}) (\d{1,10})\/(\d{1,10}) (\d{1,10})\/(\d{1,10}) (\d{1,10})\/(\d{1,10})$/;

export function parseProcKeyUsers(input: string): ProcKeyUsersParseResult {
  const users: KeyUserRecord[] = [];
  const issues: ParseIssue[] = [];
  const lines = input === '' ? [] : input.split('\n');
  const trailingNewline = input === '' || input.endsWith('\n');
  if (trailingNewline) lines.pop();
  const crlf = lines.length > 0 && lines.every((l) => l.endsWith('\r'));
  const seen = new Set<number>();
  for (let i = 0; i < lines.length; i++) {
    const line = crlf ? (lines[i] as string).slice(0, -1) : (lines[i] as string);
    const m = LINE.exec(line);
    if (m === null) {
      issues.push({
        code: 'unparseable_line',
        file: 'key-users',
        line: i + 1,
        message: line.length === 0 ? 'empty line (the kernel prints none)' : 'not "uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes"',
      });
      continue;
    }
    const n = m.slice(1).map(Number);
    const rec: KeyUserRecord = {
      uid: n[0] as number,
      usage: n[1] as number,
      nkeys: n[2] as number,
      nikeys: n[3] as number,
      qnkeys: n[4] as number,
      maxkeys: n[5] as number,
      qnbytes: n[6] as number,
      maxbytes: n[7] as number,
      line: i + 1,
    };
    if (rec.uid > 4294967295) {
      issues.push({ code: 'bad_number', file: 'key-users', line: i + 1, message: `uid ${rec.uid} does not fit 32 bits` });
      continue;
    }
    if (seen.has(rec.uid)) {
      // One key_user per uid (security/keys/key.c key_user_lookup()); a repeat is a damaged or concatenated file.
      issues.push({ code: 'unparseable_line', file: 'key-users', line: i + 1, message: `uid ${rec.uid} is listed twice` });
      continue;
    }
    seen.add(rec.uid);
    users.push(rec);
  }
  if (!trailingNewline && lines.length > 0)
    issues.push({ code: 'no_trailing_newline', file: 'key-users', line: lines.length, message: 'the file does not end with a newline: the read was cut short' });
  return { users, issues };
}
