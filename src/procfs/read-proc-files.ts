/**
 * The only module that reads the keys files. `procRoot` is /proc on a live host, or a folder laid out like it
 * (a capture, a fixture): DIR/keys, DIR/key-users, DIR/sys/kernel/keys/*. Each file is read once, as a latin1
 * byte string, and a failure is a status, never an exception. On a live host the kernel confirms what /proc/keys
 * listed as the parser asks (ask-kernel.ts); a capture brings the answers it stored (kernel-answers-file.ts).
 * A large live /proc/keys read for a snapshot is parsed as it is read, on the reader thread (stream-read.ts),
 * and its text is not kept.
 */
import { closeSync, openSync, statfsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYS_SYSCTLS, type KeysSysctl } from '../parser/keys-sysctl.js';
import { buildSnapshot, type FileRead, type RawProcFiles, type Snapshot } from '../parser/snapshot.js';
import { storedAnswers } from '../parser/key-answer.js';
import type { ReadMemo } from '../parser/read-memo.js';
import type { KernelAnswers } from '../parser/key-answer.js';
import { streamProcKeys, type ProcKeysParseResult, type RecordSink } from '../parser/proc-keys.js';
import { parseProcKeyUsers } from '../parser/proc-key-users.js';
import { streamProcFile } from './stream-read.js';
import { kernelAnswers } from './ask-kernel.js';
import { loadKeyctl } from './keyctl.js';
import { readInto } from './read-into.js';
import { readKernelAnswers } from './kernel-answers-file.js';
import { uidsWithoutProcess } from './process-uids.js';

/** Bytes read between two turns of the event loop. */
const SLICE = 256 * 1024;
/**
 * The buffer /proc files are read into, kept from one read to the next and grown to the longest file read: a
 * scrape of a large /proc/keys then allocates only its text. A read that finds it taken (another is in
 * flight) uses one of its own.
 */
let spare: Buffer | null = Buffer.allocUnsafe(64 * 1024);

/**
 * A /proc file read with blocking read(2)s, as cat reads it: a seq_file gives at most a page per read, and each
 * read through the thread pool would be a round trip through the event loop. Between slices of the file the event
 * loop runs, so that probes are answered and scrapes that arrive meanwhile join this read (server/scraper.ts).
 */
async function readProcSeqFile(path: string): Promise<string> {
  const fd = openSync(path, 'r');
  let buffer = spare ?? Buffer.allocUnsafe(64 * 1024);
  spare = null;
  try {
    let n = 0;
    for (;;) {
      const r = readInto(fd, buffer, n, n + SLICE);
      buffer = r.buffer;
      n = r.n;
      if (r.done) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return buffer.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
    spare = buffer;
  }
}

/**
 * A file's text: /proc read as cat reads it; a capture asynchronously (a FIFO or other special file there must
 * not block the process).
 */
export async function readProcFile(path: string): Promise<FileRead> {
  try {
    const text = path.startsWith('/proc/') ? await readProcSeqFile(path) : await readFile(path, 'latin1');
    return { path, status: 'ok', text };
  } catch (err) {
    return failedRead(path, err);
  }
}

function failedRead(path: string, err: unknown): FileRead {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'EIO';
  const status = code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : code === 'EACCES' || code === 'EPERM' ? 'denied' : 'failed';
  return { path, status, error: e.message.startsWith(code) ? e.message : `${code}: ${e.message}` };
}

/**
 * Where /proc/key-users counts this many keys or more, /proc/keys is read on the reader thread and parsed as it
 * is read (stream-read.ts); a shorter file, of a chunk or two (a record is some 100 bytes), is read in one go:
 * it gains nothing from the thread, and the hand-over would cost a small host's scrape more than its parse.
 */
const STREAM_FROM_KEYS = 4096;

/** /proc/keys read on the reader thread and parsed, with the kernel's answers, as it is read. */
async function streamKeys(path: string, answers: KernelAnswers, opts: ReadOptions): Promise<{ keys: FileRead; parsed?: ProcKeysParseResult }> {
  const stream = streamProcKeys(answers, opts.memo, opts.onRecord);
  let parsed: ProcKeysParseResult | undefined;
  try {
    await streamProcFile(path, (window, at, done) => {
      const next = stream.push(window, at, done);
      if (done) parsed = stream.result();
      return next;
    });
    return parsed === undefined ? { keys: { path, status: 'failed', error: 'EIO: the reader thread did not finish the parse' } } : { keys: { path, status: 'ok' }, parsed };
  } catch (err) {
    return { keys: failedRead(path, err) };
  }
}

/** PROC_SUPER_MAGIC (include/uapi/linux/magic.h): the file system type statfs(2) gives a procfs. */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Whether `procRoot` is a live procfs, so that the kernel can be asked about what it lists: /proc, or the host's
 * mounted elsewhere (a container's /host/proc, where the runtime masks the container's own /proc/keys). What it
 * shows depends on the reader's credentials, not on the mount. A folder (a capture, a fixture) is not one.
 */
export function isLiveProc(procRoot: string): boolean {
  try {
    return statfsSync(procRoot).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

export interface ReadOptions {
  /** Whether procRoot is a live procfs (isLiveProc), when the caller knows: a serving exporter asks once. */
  live?: boolean;
  /** What a serving exporter's last read confirmed (parser/read-memo.ts). */
  memo?: ReadMemo;
  /** Parse /proc/keys as it is read, where that pays (the caller wants the snapshot, not the text). */
  parse?: boolean;
  /** Told each record of /proc/keys as it is parsed, when it is parsed as it is read (the snapshot has them all). */
  onRecord?: RecordSink;
}

export async function readProcFiles(procRoot: string, opts: ReadOptions = {}): Promise<RawProcFiles> {
  // /proc/key-users before and after /proc/keys: the files are not one atomic snapshot, and a uid whose
  // counters moved in between cannot be checked against what /proc/keys showed (parser/snapshot.ts).
  const live = opts.live ?? isLiveProc(procRoot);
  const keyctl = live ? await loadKeyctl() : null;
  const answers = keyctl !== null && !('error' in keyctl) ? kernelAnswers(keyctl) : undefined;
  // The limits first: they are no part of the snapshot the two reads of /proc/key-users bracket.
  const entries = await Promise.all(KEYS_SYSCTLS.map(async (name) => [name, await readProcFile(join(procRoot, 'sys/kernel/keys', name))] as const));
  const sysctls = Object.fromEntries(entries) as Record<KeysSysctl, FileRead>;
  const overflowGid = await readProcFile(join(procRoot, 'sys/kernel/overflowgid'));
  const keyUsers = await readProcFile(join(procRoot, 'key-users'));
  const keyUsersParsed = keyUsers.text === undefined ? undefined : parseProcKeyUsers(keyUsers.text);
  const owners = keyUsersParsed?.users ?? [];
  const keysPath = join(procRoot, 'keys');
  let keys: FileRead;
  let keysParsed: ProcKeysParseResult | undefined;
  if (answers !== undefined && opts.parse === true && owners.reduce((n, u) => n + u.nkeys, 0) >= STREAM_FROM_KEYS) ({ keys, parsed: keysParsed } = await streamKeys(keysPath, answers, opts));
  else keys = await readProcFile(keysPath);
  const keyUsersAfter = keyUsers.status === 'ok' ? await readProcFile(join(procRoot, 'key-users')) : undefined;
  const raw: RawProcFiles = { keys, keyUsers, ...(keyUsersParsed !== undefined ? { keyUsersParsed } : {}), ...(keyUsersAfter !== undefined ? { keyUsersAfter } : {}), sysctls, overflowGid };
  // Uids that own keys and run no process: this process runs as its own uid, and root's keys are the system's.
  if (live && keyUsers.text !== undefined) {
    const own = typeof process.geteuid === 'function' ? process.geteuid() : -1;
    raw.processlessUids = uidsWithoutProcess(procRoot, owners.map((u) => u.uid).filter((uid) => uid !== 0 && uid !== own));
  }
  if (keysParsed !== undefined) raw.keysParsed = keysParsed;
  if (keys.status !== 'ok' || (keys.text === undefined && keysParsed === undefined)) return raw;
  if (keyctl !== null) {
    if ('error' in keyctl) raw.answersError = keyctl.error;
    else if (answers !== undefined) {
      raw.answers = answers;
      if (opts.memo !== undefined) raw.memo = opts.memo;
    }
  } else {
    const stored = await readKernelAnswers(procRoot);
    if ('answers' in stored) raw.answers = storedAnswers('capture', stored.answers.values(), stored.keyrings);
    else if ('error' in stored) raw.answersError = stored.error;
  }
  return raw;
}

export async function readSnapshot(procRoot: string, clock: () => number = () => Date.now() / 1000, opts: ReadOptions = {}): Promise<Snapshot> {
  const raw = await readProcFiles(procRoot, { ...opts, parse: true });
  return buildSnapshot(raw, Math.floor(clock()));
}
