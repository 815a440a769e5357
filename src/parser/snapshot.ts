/**
 * One snapshot of the keys files, the single type every layer below src/procfs/ consumes: a live host and a
 * captured folder are the same thing to all code but the reader (architecture.md, "The flow of data").
 */
import { MAX_ISSUES_KEPT, type ParseIssue } from './parse-issue.js';
import { parseProcKeyUsers, type KeyUserRecord, type ProcKeyUsersParseResult } from './proc-key-users.js';
import { parseProcKeys, type KeyRecord, type ProcKeysFormat, type ProcKeysParseResult, type UnconfirmedRecord } from './proc-keys.js';
import type { KernelAnswers } from './key-answer.js';
import { listTrustKeyrings, type KeyringLists } from './trust-keyrings.js';
import type { ReadMemo } from './read-memo.js';
import { KEYS_SYSCTLS, parseKeysSysctls, type KeysLimits, type KeysSysctl } from './keys-sysctl.js';

/** What an unmapped or invalid gid prints as unless /proc/sys/kernel/overflowgid says otherwise. */
export const DEFAULT_OVERFLOW_GID = 65534;

export const FILE_STATUSES = ['ok', 'absent', 'denied', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface FileRead {
  /** The path that was read, for messages. */
  path: string;
  status: FileStatus;
  /** The content as a byte string (latin1), when status is ok. */
  text?: string;
  /** Why it could not be read (errno code and message), when status is not ok. */
  error?: string;
}

export interface RawProcFiles {
  keys: FileRead;
  /** The kernel's answers about the serials /proc/keys lists (asked live, or stored in a capture); none for a paste. */
  answers?: KernelAnswers;
  /** Why the kernel could not be asked, when it could not (the records are then read from text alone). */
  answersError?: string;
  /** What a serving exporter's last read confirmed (read-memo.ts), updated by this read's parse. */
  memo?: ReadMemo;
  /** /proc/keys parsed as it was read (its text then is not kept): what parseProcKeys would make of it. */
  keysParsed?: ProcKeysParseResult;
  keyUsers: FileRead;
  /** /proc/key-users parsed where the read needed its owners already: what parseProcKeyUsers makes of its text. */
  keyUsersParsed?: ProcKeyUsersParseResult;
  /**
   * /proc/key-users read again right after /proc/keys. The two files are not one atomic snapshot: a uid whose
   * line differs between the two reads was changing while /proc/keys was read, so its totals prove nothing.
   */
  keyUsersAfter?: FileRead;
  sysctls: Record<KeysSysctl, FileRead>;
  /** /proc/sys/kernel/overflowgid: what an invalid gid prints as. */
  overflowGid?: FileRead;
  /** Uids /proc/key-users lists that run no process (procfs/process-uids.ts); absent where processes cannot be seen. */
  processlessUids?: number[];
}

export interface Snapshot {
  /** Unix seconds at which the files were read (injected clock). */
  now: number;
  files: RawProcFilesStatus;
  /** The records of /proc/keys (none when the file could not be read). */
  keys: KeyRecord[];
  keysFormat: ProcKeysFormat | null;
  /** Records the kernel did not confirm (vanished or changed after the read): reported, not counted. */
  unconfirmed: UnconfirmedRecord[];
  /** Where the kernel's confirmations came from; null when the records were read from text alone. */
  confirmedBy: KernelAnswers['from'] | null;
  /** Why the kernel could not be asked, when it could not. */
  answersError?: string;
  /**
   * What the kernel's own keyrings of certificates link (trust-keyrings.ts); absent when the kernel was not asked
   * (records read from text alone, or a capture that stored no keyring's members).
   */
  trustKeyrings?: KeyringLists;
  /** null when /proc/key-users could not be read. */
  users: KeyUserRecord[] | null;
  /** Uids whose /proc/key-users line changed while /proc/keys was being read (see RawProcFiles.keyUsersAfter). */
  unstableUids: number[];
  limits: KeysLimits;
  overflowGid: number;
  /** The first issues of each file (parse-issue.ts MAX_ISSUES_KEPT) ... */
  issues: ParseIssue[];
  /** ... and how many each file had. */
  issueCounts: Partial<Record<ParseIssue['file'], number>>;
  /** Whose reads of /proc/keys were merged (--view all-users); absent: the reading process's own. */
  coverage?: ReadCoverage;
  /** Uids that own keys and run no process; absent where processes could not be seen (a capture). */
  processlessUids?: number[];
}

/** Why a uid was not read as: beyond --collector.users.max-uids, its credentials not taken, or the read failed. */
export const VIEW_FAILURES = ['max_uids', 'credentials', 'read'] as const;
export type ViewFailure = (typeof VIEW_FAILURES)[number];

/** The uids /proc/keys was read as for a merged view (root first), and the reads that failed, with why. */
export interface ReadCoverage {
  view: 'all-users';
  readers: number[];
  failed: { uid: number; error: string; reason: ViewFailure }[];
}

export interface FileStatusEntry {
  path: string;
  status: FileStatus;
  error?: string;
}

export interface RawProcFilesStatus {
  keys: FileStatusEntry;
  keyUsers: FileStatusEntry;
  sysctls: Record<KeysSysctl, FileStatusEntry>;
}

function statusOf(f: FileRead): FileStatusEntry {
  return f.error === undefined ? { path: f.path, status: f.status } : { path: f.path, status: f.status, error: f.error };
}

/** Parse what was read. Pure; never throws. */
export function buildSnapshot(raw: RawProcFiles, now: number): Snapshot {
  const issues: ParseIssue[] = [];
  const issueCounts: Snapshot['issueCounts'] = {};
  const note = (file: ParseIssue['file'], list: ParseIssue[], count: number): void => {
    for (const i of list.slice(0, MAX_ISSUES_KEPT)) issues.push(i);
    if (count > 0) issueCounts[file] = (issueCounts[file] ?? 0) + count;
  };
  let keys: KeyRecord[] = [];
  let keysFormat: ProcKeysFormat | null = null;
  let unconfirmed: UnconfirmedRecord[] = [];
  let confirmedBy: Snapshot['confirmedBy'] = null;
  let trustCandidates: KeyRecord[] = [];
  if (raw.keys.status === 'ok' && (raw.keysParsed !== undefined || raw.keys.text !== undefined)) {
    const r = raw.keysParsed ?? parseProcKeys(raw.keys.text ?? '', raw.answers, raw.answers !== undefined ? raw.memo : undefined);
    keys = r.records;
    keysFormat = r.format;
    unconfirmed = r.unconfirmed;
    confirmedBy = r.confirmedBy;
    trustCandidates = r.trustKeyrings;
    note('keys', r.issues, r.issueCount);
  }
  let users: KeyUserRecord[] | null = null;
  if (raw.keyUsers.status === 'ok' && raw.keyUsers.text !== undefined) {
    const r = raw.keyUsersParsed ?? parseProcKeyUsers(raw.keyUsers.text);
    users = r.users;
    note('key-users', r.issues, r.issues.length);
  }
  const unstableUids: number[] = [];
  if (users !== null && raw.keyUsersAfter?.status === 'ok' && raw.keyUsersAfter.text !== undefined) {
    const after = new Map(parseProcKeyUsers(raw.keyUsersAfter.text).users.map((u) => [u.uid, u]));
    const before = new Map(users.map((u) => [u.uid, u]));
    const same = (a: KeyUserRecord, b: KeyUserRecord): boolean =>
      a.nkeys === b.nkeys && a.nikeys === b.nikeys && a.qnkeys === b.qnkeys && a.qnbytes === b.qnbytes;
    for (const [uid, u] of before) {
      const v = after.get(uid);
      if (v === undefined || !same(u, v)) unstableUids.push(uid);
    }
    for (const uid of after.keys()) if (!before.has(uid)) unstableUids.push(uid);
  }
  const sysctlText: Partial<Record<KeysSysctl, string>> = {};
  for (const name of KEYS_SYSCTLS) {
    const f = raw.sysctls[name];
    if (f.status === 'ok' && f.text !== undefined) sysctlText[name] = f.text;
  }
  const { limits, issues: sysctlIssues } = parseKeysSysctls(sysctlText);
  note('sys/kernel/keys', sysctlIssues, sysctlIssues.length);
  let overflowGid = DEFAULT_OVERFLOW_GID;
  const og = raw.overflowGid;
  if (og?.status === 'ok' && og.text !== undefined && /^\d{1,10}\n?$/.test(og.text)) overflowGid = Number(og.text.trim());
  const sysctls = {} as Record<KeysSysctl, FileStatusEntry>;
  for (const name of KEYS_SYSCTLS) sysctls[name] = statusOf(raw.sysctls[name]);
  const trustKeyrings = raw.answers !== undefined && confirmedBy !== null ? listTrustKeyrings(trustCandidates, keys, raw.answers) : null;
  return {
    now,
    files: { keys: statusOf(raw.keys), keyUsers: statusOf(raw.keyUsers), sysctls },
    keys,
    keysFormat,
    unconfirmed,
    confirmedBy,
    ...(raw.answersError !== undefined ? { answersError: raw.answersError } : {}),
    ...(trustKeyrings !== null ? { trustKeyrings } : {}),
    ...(raw.processlessUids !== undefined ? { processlessUids: raw.processlessUids } : {}),
    users,
    unstableUids,
    limits,
    overflowGid,
    issues,
    issueCounts,
  };
}
