/**
 * The reader thread of read-keys-as.ts: reads /proc/keys and asks KEYCTL_DESCRIBE about its serials with
 * another uid's credentials, switched for this thread alone and switched back before it answers.
 *
 * Linux credentials belong to a thread: the raw setresuid(2), setresgid(2) and setgroups(2) system calls change
 * the calling thread's only (glibc's wrappers would change every thread of the process). The thread takes the
 * uid and gid as its effective ids and no supplementary groups, keeping root as its real and saved ids: the
 * kernel checks a key's view permission against the effective (file system) ids, and a thread whose real and
 * saved ids are root's can be neither ptraced nor signalled by the uid (kernel/ptrace.c __ptrace_may_access(),
 * kernel/signal.c kill_ok_by_cred()). Changing the effective uid also leaves the process non-dumpable
 * (kernel/cred.c commit_creds()), so /proc/PID/mem is root's only.
 *
 * Files are opened and read synchronously, on this thread: the thread pool's threads keep root's credentials.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { loadKeyctl } from './keyctl.js';
import { listedSerials } from './read-keys-as.js';
import { readInto } from './read-into.js';

/** The system calls' numbers on the architectures the exporter ships for. */
const SYSCALLS: Readonly<Record<string, { setresuid: number; setresgid: number; getgroups: number; setgroups: number }>> = {
  x64: { setresuid: 117, setresgid: 119, getgroups: 115, setgroups: 116 },
  arm64: { setresuid: 147, setresgid: 149, getgroups: 158, setgroups: 159 },
};

export interface ReadRequest {
  id: number;
  path: string;
  uid: number;
  gid: number;
}

/** What failed: taking the uid's credentials, or the read and the questions made with them. */
export type ReadFailure = 'credentials' | 'read';

export interface ReadReply {
  id: number;
  bytes?: Uint8Array;
  answers?: unknown[];
  bridgeError?: string;
  /** Why the read failed: the thread could not take the credentials, or the file could not be read. */
  error?: string;
  /** Which of the two failed. */
  stage?: ReadFailure;
}

type Syscall = (...args: unknown[]) => unknown;

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('reader-thread-worker.js runs as a worker thread');
  const nr = SYSCALLS[process.arch];
  const koffi = (await import('koffi')).default;
  const syscall = koffi.load('libc.so.6').func('long syscall(long, ...)') as Syscall;
  const errnoName = (): string => {
    const e = koffi.errno();
    return Object.entries(koffi.os.errno).find(([, n]) => n === e)?.[0] ?? `E${e}`;
  };
  const call = (what: string, ...args: unknown[]): void => {
    if (Number(syscall(...args)) !== 0) throw new Error(`${what} failed: ${errnoName()}`);
  };
  const keyctl = await loadKeyctl();
  /** Where getgroups(2) puts the thread's supplementary groups before a read, to take back after it (reads are one at a time). */
  const groups = Buffer.alloc(4 * 65536);

  port.on('message', (req: ReadRequest) => {
    if (nr === undefined) {
      port.postMessage({ id: req.id, error: `reading as another uid: unsupported architecture ${process.arch}`, stage: 'credentials' } satisfies ReadReply);
      return;
    }
    // The thread's own effective ids and supplementary groups, to take back.
    const euid = process.geteuid?.() ?? 0;
    const egid = process.getegid?.() ?? 0;
    const ngroups = Number(syscall(nr.getgroups, 'long', 65536, 'void *', groups));
    if (ngroups < 0) {
      port.postMessage({ id: req.id, error: `getgroups failed: ${errnoName()}`, stage: 'credentials' } satisfies ReadReply);
      return;
    }
    let reply: ReadReply;
    /** The credentials changed so far: only those are taken back (without CAP_SETGID the first call fails, and nothing changed). */
    let changed = 0;
    try {
      call('setgroups', nr.setgroups, 'long', 0, 'void *', null);
      changed = 1;
      call('setresgid', nr.setresgid, 'long', -1, 'long', req.gid, 'long', -1);
      changed = 2;
      call('setresuid', nr.setresuid, 'long', -1, 'long', req.uid, 'long', -1);
      changed = 3;
      const bytes = readWhole(req.path);
      reply =
        'error' in keyctl
          ? { id: req.id, bytes, answers: [], bridgeError: keyctl.error }
          : { id: req.id, bytes, answers: listedSerials(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)).map((s) => keyctl.describe(s)) };
    } catch (e) {
      reply = { id: req.id, error: e instanceof Error ? e.message : String(e), stage: changed < 3 ? 'credentials' : 'read' };
    }
    try {
      if (changed >= 3) call('setresuid', nr.setresuid, 'long', -1, 'long', euid, 'long', -1);
      if (changed >= 2) call('setresgid', nr.setresgid, 'long', -1, 'long', egid, 'long', -1);
      if (changed >= 1) call('setgroups', nr.setgroups, 'long', ngroups, 'void *', groups);
    } catch (e) {
      // A thread that could not take back its own credentials must not serve another read: it ends (the next
      // read starts another).
      port.postMessage({ id: req.id, error: `the reader thread could not take back its credentials (${e instanceof Error ? e.message : String(e)})`, stage: 'credentials' } satisfies ReadReply);
      process.exit(1);
    }
    port.postMessage(reply, reply.bytes !== undefined ? [reply.bytes.buffer as ArrayBuffer] : []);
  });
}

/** The whole file, read on this thread. */
function readWhole(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    // A buffer of its own (not a slice of Node's pool): its memory is handed over to the main thread.
    const { buffer, n } = readInto(fd, Buffer.allocUnsafeSlow(64 * 1024), 0);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, n);
  } finally {
    closeSync(fd);
  }
}

void main();
