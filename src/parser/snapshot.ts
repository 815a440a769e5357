/**
 * One snapshot of the keys files, the single type every layer below src/procfs/ consumes: a live host and a
 * captured folder are the same thing to all code but the reader (architecture.md, "The flow of data").
 */
import type { ParseIssue } from './parse-issue.js';
import { parseProcKeyUsers, type KeyUserRecord } from './proc-key-users.js';
import { parseProcKeysBytes, type ProcKeysFormat, type ProcKeysTableResult } from './proc-keys.js';
import { byteSourceOf, type ByteSource } from './byte-source.js';
import { EMPTY_KEY_TABLE, type KeyTable } from './key-table.js';
import { KEYS_SYSCTLS, parseKeysSysctls, type KeysLimits, type KeysSysctl } from './keys-sysctl.js';

export const FILE_STATUSES = ['ok', 'absent', 'denied', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface FileRead {
  /** The path that was read, for messages. */
  path: string;
  status: FileStatus;
  /** The content as a byte string (latin1), when status is ok (small files, tests, pastes). */
  text?: string;
  /** The content as bytes with a fast latin1 copy, when status is ok (what the I/O layer reads /proc/keys as). */
  source?: ByteSource;
  /** /proc/keys parsed as it was read (procfs/read-proc-files.ts readKeysFile); parsed from `source` otherwise. */
  parsed?: ProcKeysTableResult;
  /** Why it could not be read (errno code and message), when status is not ok. */
  error?: string;
}

export interface RawProcFiles {
  keys: FileRead;
  keyUsers: FileRead;
  /**
   * /proc/key-users read again right after /proc/keys. The two files are not one atomic snapshot: a uid whose
   * line differs between the two reads was changing while /proc/keys was read, so its totals prove nothing.
   */
  keyUsersAfter?: FileRead;
  sysctls: Record<KeysSysctl, FileRead>;
  /** /proc/sys/kernel/overflowgid: what an invalid gid prints as. */
  overflowGid?: FileRead;
}

export interface Snapshot {
  /** Unix seconds at which the files were read (injected clock). */
  now: number;
  files: RawProcFilesStatus;
  /** The records of /proc/keys by column (empty when the file could not be read). */
  keys: KeyTable;
  keysFormat: ProcKeysFormat | null;
  /** null when /proc/key-users could not be read. */
  users: KeyUserRecord[] | null;
  /** Uids whose /proc/key-users line changed while /proc/keys was being read (see RawProcFiles.keyUsersAfter). */
  unstableUids: number[];
  limits: KeysLimits;
  overflowGid: number;
  issues: ParseIssue[];
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
  let keys = EMPTY_KEY_TABLE;
  let keysFormat: ProcKeysFormat | null = null;
  if (raw.keys.status === 'ok' && (raw.keys.source !== undefined || raw.keys.text !== undefined)) {
    const r = raw.keys.parsed ?? parseProcKeysBytes(raw.keys.source ?? byteSourceOf(raw.keys.text as string));
    keys = r.table;
    keysFormat = r.format;
    issues.push(...r.issues);
  }
  let users: KeyUserRecord[] | null = null;
  if (raw.keyUsers.status === 'ok' && raw.keyUsers.text !== undefined) {
    const r = parseProcKeyUsers(raw.keyUsers.text);
    users = r.users;
    issues.push(...r.issues);
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
  issues.push(...sysctlIssues);
  let overflowGid = 65534;
  const og = raw.overflowGid;
  if (og?.status === 'ok' && og.text !== undefined && /^\d{1,10}\n?$/.test(og.text)) overflowGid = Number(og.text.trim());
  const sysctls = {} as Record<KeysSysctl, FileStatusEntry>;
  for (const name of KEYS_SYSCTLS) sysctls[name] = statusOf(raw.sysctls[name]);
  return {
    now,
    files: { keys: statusOf(raw.keys), keyUsers: statusOf(raw.keyUsers), sysctls },
    keys,
    keysFormat,
    users,
    unstableUids,
    limits,
    overflowGid,
    issues,
  };
}
