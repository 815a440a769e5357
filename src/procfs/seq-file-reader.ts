/**
 * Reads the rest of a large seq_file (/proc/keys) on one worker thread, with blocking reads into one growing
 * buffer, and hands the buffer over without copying it. A seq_file returns at most a page per read(2) however
 * large the buffer (fs/seq_file.c seq_read_iter), so the cost is in the number of reads: on the thread pool
 * every one is a round trip through the event loop, here it is a plain system call, as for cat.
 *
 * The worker is started on the first large read and kept; it holds the process open only while a read is in
 * flight. The file descriptor stays the caller's: the worker reads from its current position and never closes it.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript, evaluated by the worker: the same code runs from dist/ and under vitest (no .ts loader).
//
// The buffer is a resizable ArrayBuffer: V8 reserves its maximum as address space and commits pages as it
// grows, in place, and returns them to the system when it is freed; pages never written to are never
// resident. A plain buffer grown by doubling copied the file up to eight times into a buffer up to twice its
// size, from the C heap, whose freed chunks glibc keeps resident: reading /proc/kallsyms (5.4 MB) six times
// peaked at 129 MB and left 78 MB resident after a collection, against 91 and 65 MB with this buffer (and no
// latin1 copy, read-proc-files.ts). It is not shrunk to the file: V8 zeroes what a shrink cuts off, which
// makes those pages resident. Where the reservation is refused (an address-space limit), the plain buffer is
// the fallback.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const MAX = 2 ** 30;
function grow(buf, n) {
  const ab = buf.buffer;
  if (ab.resizable && ab.byteLength < ab.maxByteLength) {
    ab.resize(Math.min(ab.maxByteLength, ab.byteLength * 2));
    return new Uint8Array(ab);
  }
  const bigger = new Uint8Array(buf.length * 2);
  bigger.set(buf.subarray(0, n));
  return bigger;
}
parentPort.on('message', ({ id, fd, head, capacity }) => {
  try {
    const size = Math.max(capacity, head.length * 2, 65536);
    let buf;
    try {
      buf = new Uint8Array(new ArrayBuffer(size, { maxByteLength: MAX }));
    } catch {
      buf = new Uint8Array(size);
    }
    buf.set(head);
    let n = head.length;
    for (;;) {
      if (n === buf.length) buf = grow(buf, n);
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    parentPort.postMessage({ id, buffer: buf.buffer, length: n }, [buf.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e.code, message: e.message } });
  }
});
`;

interface Reply {
  id: number;
  buffer?: ArrayBuffer;
  length?: number;
  error?: { code?: string; message: string };
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
/** The size of the last file read, so that the next buffer rarely has to grow (a system call; a copy in the fallback). */
let lastSize = 0;

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = null;
}

function reader(): Worker {
  if (worker !== null) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.error !== undefined) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    // Copied out of the resizable buffer into a plain one: V8 (11.3, Node 20) reads typed arrays over a resizable
    // ArrayBuffer on slower paths, and the parse of 100,000 keys from one took 56 ms against 38 (median of 30
    // runs on the same bytes). The copy takes 2 to 3 ms; the resizable buffer is garbage at once.
    else p.resolve(Buffer.from(new Uint8Array(m.buffer as ArrayBuffer, 0, m.length)));
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', (code) => failAll(new Error(`the reader thread exited (${code})`)));
  w.unref();
  worker = w;
  return w;
}

/** Everything from the descriptor's current position to the end of the file, after `head` (already read). */
export function readToEnd(fd: number, head: Uint8Array): Promise<Buffer> {
  const w = reader();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, {
      resolve: (b) => {
        lastSize = b.length;
        resolve(b);
      },
      reject,
    });
    w.ref();
    // A quarter more than last time: keys come and go between scrapes.
    w.postMessage({ id, fd, head, capacity: Math.ceil(lastSize * 1.25) });
  });
}
