/**
 * Reads the rest of a large seq_file (/proc/keys) on one worker thread, with blocking reads into one growing
 * buffer shared with the event loop's thread, and says how far it has got as it goes, so that the file can be
 * parsed while the kernel is still printing it. A seq_file returns at most a page per read(2) however large
 * the buffer (fs/seq_file.c seq_read_iter), so the cost is in the number of reads: on the thread pool every
 * one is a round trip through the event loop, here it is a plain system call, as for cat.
 *
 * The worker is started on the first large read and kept; it holds the process open only while a read is in
 * flight. The file descriptor stays the caller's: the worker reads from its current position and never closes it.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated by the worker: the same code runs from dist/ and under vitest (no .ts loader).
//
// The buffer is a growable SharedArrayBuffer: V8 reserves its maximum as address space and commits pages as it
// grows, in place, and returns them to the system when it is freed; pages never written to are never
// resident. A plain buffer grown by doubling copied the file up to eight times into a buffer up to twice its
// size, from the C heap, whose freed chunks glibc keeps resident: reading /proc/kallsyms (5.4 MB) six times
// peaked at 129 MB and left 78 MB resident after a collection, against 91 and 65 MB with a buffer reserved
// this way (and no latin1 copy, read-proc-files.ts). Both threads see it, so nothing is copied or transferred:
// the worker tells the event loop how many bytes are final as it goes (STEP), and the event loop parses them
// with views of fixed length (V8 11.3 reads a view that tracks a growable buffer's length on slower paths: the
// parse took 56 ms against 38 from a resizable ArrayBuffer so viewed; a fixed view is as fast as a plain one).
// Where the reservation is refused (an address-space limit), a plain SharedArrayBuffer is the fallback, replaced
// by one twice its size when full (the event loop is sent the new one).
//
// The worker drops its handle on the buffer after each read, and collects its own small heap when the event loop
// collects its own (collectReaderGarbage), between scrapes: the memory of every read would otherwise stay alive
// until the worker next collected garbage, which an idle worker never does. Collected right after each read, its
// collection took the CPU from the scrape's last milliseconds (3 ms of a 100,000-key scrape, on 2 CPUs).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');
let gc = null;
try {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('typeof gc === "function" ? gc : null');
} catch {}
const MAX = 2 ** 30;
// Reported every STEP bytes, and every NEAR_END_STEP in the last NEAR_END bytes of the size expected (the last
// read's): the bytes reported last are parsed after the read, so that part is kept small, and each report costs
// the reader thread a message.
const STEP = 256 * 1024;
const NEAR_END = 512 * 1024;
const NEAR_END_STEP = 32 * 1024;
function allocate(size) {
  try {
    return new SharedArrayBuffer(size, { maxByteLength: MAX });
  } catch {
    return new SharedArrayBuffer(size);
  }
}
parentPort.on('message', ({ id, fd, head, capacity, expected, collect }) => {
  if (collect === true) {
    if (gc !== null) gc();
    return;
  }
  let sab = allocate(Math.max(capacity, head.length * 2, 65536));
  let buf = new Uint8Array(sab);
  try {
    buf.set(head);
    let n = head.length;
    parentPort.postMessage({ id, sab, length: n });
    let told = n;
    for (;;) {
      if (n === sab.byteLength) {
        if (sab.growable && sab.byteLength < sab.maxByteLength) {
          sab.grow(Math.min(sab.maxByteLength, sab.byteLength * 2));
        } else {
          const bigger = new SharedArrayBuffer(sab.byteLength * 2);
          new Uint8Array(bigger).set(buf);
          sab = bigger;
          parentPort.postMessage({ id, sab, length: n });
          told = n;
        }
        buf = new Uint8Array(sab, 0, sab.byteLength);
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n - told >= (n + NEAR_END >= expected ? NEAR_END_STEP : STEP)) {
        parentPort.postMessage({ id, length: n });
        told = n;
      }
    }
    parentPort.postMessage({ id, done: true, length: n });
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e.code, message: e.message } });
  }
  sab = buf = null;
});
`;

interface Reply {
  id: number;
  /** The buffer the bytes are in: the first reply of a read, and a replacement in the fallback. */
  sab?: SharedArrayBuffer;
  /** The first `length` bytes are read and final. */
  length?: number;
  done?: boolean;
  error?: { code?: string; message: string };
}

/** Told the bytes read so far: `bytes` is the first `bytes.length` bytes of the file, and they do not change. */
export type OnBytes = (bytes: Buffer) => void;

interface Pending {
  sab: SharedArrayBuffer | null;
  onBytes: OnBytes | undefined;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();
/** The size of the last file read, so that the next buffer rarely has to grow. */
let lastSize = 0;

/** The size of the last large file read (0 before the first): what the next one is likely to be. */
export function expectedSize(): number {
  return lastSize;
}

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = null;
}

function settle(w: Worker, id: number): void {
  pending.delete(id);
  if (pending.size === 0) w.unref();
}

function reader(): Worker {
  if (worker !== null) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    if (m.error !== undefined) {
      settle(w, m.id);
      p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      return;
    }
    if (m.sab !== undefined) p.sab = m.sab;
    const bytes = Buffer.from(p.sab as SharedArrayBuffer, 0, m.length);
    if (m.done === true) {
      settle(w, m.id);
      lastSize = bytes.length;
      p.resolve(bytes);
      return;
    }
    if (p.onBytes !== undefined) {
      try {
        p.onBytes(bytes);
      } catch (err) {
        // The listener's failure is its own (it parses what it can at the end); the read goes on.
        p.onBytes = undefined;
        process.emitWarning(err instanceof Error ? err : String(err));
      }
    }
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', (code) => failAll(new Error(`the reader thread exited (${code})`)));
  w.unref();
  worker = w;
  return w;
}

/**
 * Everything from the descriptor's current position to the end of the file, after `head` (already read).
 * `onBytes`, if given, is told the bytes read so far as they arrive, from `head` on.
 */
export function readToEnd(fd: number, head: Uint8Array, onBytes?: OnBytes): Promise<Buffer> {
  const w = reader();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { sab: null, onBytes, resolve, reject });
    w.ref();
    // A quarter more than last time: keys come and go between scrapes.
    w.postMessage({ id, fd, head, capacity: Math.ceil(lastSize * 1.25), expected: lastSize });
  });
}

/** Ask the reader thread to collect its garbage (the handles of finished reads), if it exists and is idle. */
export function collectReaderGarbage(): void {
  if (worker !== null && pending.size === 0) worker.postMessage({ collect: true });
}
