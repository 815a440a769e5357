/**
 * Read /proc/keys as another uid, and ask the kernel about every serial it lists as that uid (`--view all-users`).
 *
 * /proc/keys and KEYCTL_DESCRIBE show only what the asking credentials may view, and root has no exception, so
 * a key whose perm gives root no view is seen and described only with its owner's credentials. The read and the
 * questions are made by one thread of this process (reader-thread-worker.ts), which switches its own
 * credentials to the uid's for them and back: the answers are about the same read, no process is started per
 * uid, and nothing the uid runs can ptrace, signal or answer for the reader.
 *
 * One thread serves every read, one read at a time, and keeps the process alive only while a read is asked
 * for. It is started on the first read; a thread that could not take back its credentials ends, and the next
 * read starts another.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import type { KeyAnswer } from '../parser/key-answer.js';
import { serialAt as hexSerialAt } from '../parser/read-memo.js';
import { checkAnswer } from './kernel-answers-file.js';
import type { ReadFailure, ReadReply, ReadRequest } from './reader-thread-worker.js';

export type { ReadFailure };

export interface KeysReadAs {
  /** The file's bytes, as the uid read them. */
  bytes: Buffer;
  /** The kernel's answer, asked as the uid, for each distinct serial of a record-like line of `bytes`. */
  answers: KeyAnswer[];
  /** Why the reader could not ask the kernel (then `answers` is empty). */
  bridgeError?: string;
}

/**
 * The serial of every line that starts like a record (8 lowercase hex digits and a space), each once, in
 * order. Serials no key can have (0, and past 2^31-1, which keyctl(2) would read as the caller's own keyrings)
 * are left out: such a line names no key.
 */
export function listedSerials(bytes: Buffer): number[] {
  // A string scan: a flood of newlines makes every byte a line, and Buffer.indexOf per line costs far more.
  const text = bytes.toString('latin1');
  const seen = new Set<number>();
  for (let at = 0; at < text.length; ) {
    // An empty line (a flood of newlines is one per byte) is passed without a call.
    if (text.charCodeAt(at) === 0x0a) {
      at++;
      continue;
    }
    const serial = serialAt(text, at);
    if (serial >= 1 && serial <= 0x7fffffff) seen.add(serial);
    const nl = text.indexOf('\n', at);
    if (nl < 0) break;
    at = nl + 1;
  }
  return [...seen];
}

/** The 8 lowercase hex digits and space at `at`, as a number, else -1. */
function serialAt(text: string, at: number): number {
  return text.charCodeAt(at + 8) === 0x20 ? hexSerialAt(text, at) : -1;
}

interface Pending {
  resolve: (r: KeysReadAs) => void;
  reject: (e: Error) => void;
}

let worker: Worker | null = null;
const pending = new Map<number, Pending>();
let nextId = 1;

function start(): Worker {
  const w = startWorker('reader-thread-worker.js');
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    if (worker === w) worker = null;
  };
  w.on('message', (reply: ReadReply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if (reply.error !== undefined || reply.bytes === undefined) {
      p.reject(Object.assign(new Error(reply.error ?? 'the reader thread sent no bytes'), { stage: reply.stage ?? 'read' }));
      return;
    }
    const answers: KeyAnswer[] = [];
    for (const [i, a] of (reply.answers ?? []).entries()) {
      const checked = checkAnswer(a);
      if (typeof checked === 'string') {
        p.reject(new Error(`the reader thread's answers[${i}]${checked}`));
        return;
      }
      answers.push(checked);
    }
    p.resolve({ bytes: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength), answers, ...(reply.bridgeError !== undefined ? { bridgeError: reply.bridgeError } : {}) });
  });
  w.on('error', (e) => failAll(e));
  w.on('exit', (code) => failAll(new Error(`the reader thread ended (exit code ${code})`)));
  return w;
}

/** Read `procKeysPath` and describe its serials as `uid`:`gid` (no supplementary groups). */
export function readKeysAs(procKeysPath: string, uid: number, gid: number): Promise<KeysReadAs> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise<KeysReadAs>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, path: procKeysPath, uid, gid } satisfies ReadRequest);
  });
}
