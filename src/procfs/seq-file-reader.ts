/**
 * Reads the rest of a large seq_file (/proc/keys) on one worker thread, with blocking reads, and hands the bytes
 * to the event loop's thread as it goes, so that the file can be parsed while the kernel is still printing it.
 * A seq_file returns at most a page per read(2) however large the buffer (fs/seq_file.c seq_read_iter), so the
 * cost is in the number of reads: on the thread pool every one is a round trip through the event loop, here it
 * is a plain system call, as for cat.
 *
 * The worker is started on the first large read and kept; it holds the process open only while a read is in
 * flight. The file descriptor stays the caller's: the worker reads from its current position and never closes it.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

/**
 * Whether the reader thread tells the event loop it has read `n` bytes, having last told `told`, when the last
 * read's size was `expected`: every 256 KB, and every 32 KB in the last 512 KB expected. The bytes told last are
 * parsed after the read, so that part is kept small, and each report costs the reader thread a message. Part of
 * the worker's source (below), as it is written here; `npm run bench` parses in the same parts.
 */
export function shouldReport(n: number, told: number, expected: number): boolean {
  return n - told >= (n + 524288 >= expected ? 32768 : 262144);
}

/** The size of the worker's chunks: a report's 256 KB, and room for the read(2) that crosses it. */
const CHUNK_BYTES = 320 * 1024;

// Plain JavaScript, evaluated by the worker: the same code runs from dist/ and under vitest (no .ts loader).
//
// The worker reads into chunks of plain memory and transfers each to the event loop when it reports
// (shouldReport), which copies it to the end of the file's buffer and sends the chunk back to be read into
// again: the worker takes the chunks returned (receiveMessageOnPort, while it reads) before it makes a new one,
// so a read uses a few chunks whatever the file's size. The file's buffer is the event loop's own, not shared:
// V8 11.3 reads a view of a SharedArrayBuffer on slower paths, growable or not (bytes and DataView words alike,
// about 1.8 times the time of a plain buffer's: the parse of 100,000 keys took 26-28 ms against 24 from plain
// memory), and a view of a resizable ArrayBuffer slower still (92 ms).
//
// The worker collects its own small heap when the event loop collects its own (collectReaderGarbage), between
// scrapes: the memory of every read would otherwise stay alive until the worker next collected garbage, which an
// idle worker never does. Collected right after each read, its collection took the CPU from the scrape's last
// milliseconds (3 ms of a 100,000-key scrape, on 2 CPUs).
const WORKER_SOURCE = `
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { runInNewContext } = require('node:vm');
let gc = null;
try {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('typeof gc === "function" ? gc : null');
} catch {}
${shouldReport.toString()}
const CHUNK = ${CHUNK_BYTES};
let returned = null;
const spare = [];
function chunk() {
  for (let m; returned !== null && (m = receiveMessageOnPort(returned)) !== undefined; ) spare.push(m.message);
  return new Uint8Array(spare.pop() ?? new ArrayBuffer(CHUNK));
}
parentPort.on('message', ({ id, fd, at, expected, collect, returnPort }) => {
  if (returnPort !== undefined) {
    returned = returnPort;
    return;
  }
  if (collect === true) {
    // Idle: the chunks go with the rest of the heap.
    while (returned !== null && receiveMessageOnPort(returned) !== undefined);
    spare.length = 0;
    if (gc !== null) gc();
    return;
  }
  let buf = chunk();
  let used = 0;
  let n = at;
  let told = n;
  const send = (done) => {
    parentPort.postMessage({ id, chunk: buf.buffer, length: used, done }, [buf.buffer]);
    buf = done ? null : chunk();
    used = 0;
    told = n;
  };
  try {
    for (;;) {
      if (used === buf.length) send(false);
      const r = readSync(fd, buf, used, buf.length - used, null);
      if (r === 0) break;
      used += r;
      n += r;
      if (shouldReport(n, told, expected)) send(false);
    }
    send(true);
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e.code, message: e.message } });
  }
  buf = null;
});
`;

interface Reply {
  id: number;
  /** The bytes read since the last reply: the first `length` bytes of `chunk`. */
  chunk?: ArrayBuffer;
  length?: number;
  done?: boolean;
  error?: { code?: string; message: string };
}

/** Told the bytes read so far: `bytes` is the first `bytes.length` bytes of the file, and they do not change. */
export type OnBytes = (bytes: Buffer) => void;

interface Pending {
  bytes: FileBytes;
  onBytes: OnBytes | undefined;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

let worker: Worker | null = null;
/** Where the event loop sends the worker's chunks back. */
let returnPort: MessagePort | null = null;
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
  returnPort?.close();
  returnPort = null;
}

function settle(w: Worker, id: number): void {
  pending.delete(id);
  if (pending.size === 0) w.unref();
}

/**
 * A file's buffer is made one of two ways, by its size.
 *
 * Large (LARGE_BUFFER_BYTES and more: about 45,000 keys): a mapping of its own, made before the full collection
 * that follows each large read (`spare`, prepareNextRead; procfs/collect-garbage.ts). Glibc's malloc serves a
 * request of more than 32 MiB with a mapping of its own, which it unmaps when the buffer is freed, and only the
 * pages written to are ever resident (smaller requests come from its heap once a large buffer has been freed,
 * M_MMAP_THRESHOLD's dynamic maximum, and stay resident after they are freed: the exporter serving 100,000 keys
 * peaked at 163 MB and idled at 156, against 135 and 110 with every file's buffer this large). Its pages are
 * faulted in as the bytes are copied, on the event loop's thread while the reader thread waits for the kernel
 * (about 2,300 at 100,000 keys). Reusing the last read's buffer, once nothing held a view of it, saved those, but
 * kept the buffer resident between scrapes and did not lower the peak (147-150 MB in two live runs).
 *
 * Small: the size asked for. A 32 MiB buffer for every read that reaches the reader thread (a file of more than
 * four pages, from some 180 keys) made V8 collect its whole heap in every scrape: V8 counts a new buffer against
 * its old generation's limit (below), so each read started incremental marking, with two scavenges for "external
 * memory pressure" and a mark-compact inside the scrape. Measured live, 150 scrapes at 300 keys: 32-38 ms of CPU
 * a scrape (23 of them on V8's GC threads) and 16 ms to answer; at 10,000 keys 53-58 ms and 33. A collection
 * follows once the small buffers made add up to a large one instead (buffersCallForCollection).
 */
const ALWAYS_MAPPED = 32 * 1024 * 1024 + 4096;

/** Buffers of at least this many bytes are large (above). */
export const LARGE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Small buffers made between two collections, in bytes, at most: as much as one large read (about four reads at 10,000 keys). */
export const SMALL_BUFFERS_PER_COLLECTION = LARGE_BUFFER_BYTES;

/** Since the last collection: whether a read asked for a large buffer (and the size of the last one), and the bytes of the small buffers made. */
let largeAskedSinceCollection = false;
let largeAsked = 0;
let smallMadeSinceCollection = 0;

/** A buffer of at least `bytes` bytes: the spare if it is large enough, else a new one (large or small, above). */
function newBuffer(bytes: number): ArrayBuffer {
  if (bytes >= LARGE_BUFFER_BYTES) {
    largeAskedSinceCollection = true;
    largeAsked = bytes;
  }
  // The spare serves a smaller read too (the host lost keys): it was made before the last collection, so it adds
  // nothing V8 counts.
  const s = spare;
  if (s !== null && s.byteLength >= bytes) {
    spare = null;
    return s;
  }
  if (bytes < LARGE_BUFFER_BYTES) smallMadeSinceCollection += bytes;
  return allocate(bytes);
}

function allocate(bytes: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(bytes >= LARGE_BUFFER_BYTES ? Math.max(bytes, ALWAYS_MAPPED) : bytes).buffer as ArrayBuffer;
}

/**
 * Whether the buffers made since the last collection call for one once their scrape is served: a large one (the
 * next must be made before a collection), or small ones adding up to SMALL_BUFFERS_PER_COLLECTION. A small host's
 * file is read in its first pages, with no buffer of this module's, and never calls for one.
 */
export function buffersCallForCollection(): boolean {
  return largeAskedSinceCollection || smallMadeSinceCollection >= SMALL_BUFFERS_PER_COLLECTION;
}

/**
 * The next large read's buffer, made before the collection that follows a large read (prepareNextRead), never
 * written to until that read: no page of it is resident, and it holds nothing of any read.
 *
 * V8 counts the memory of every new ArrayBuffer against its old generation's limit until the next full
 * collection (V8 11.3 heap.h OldGenerationSpaceAvailable: the limit less the old generation's objects and the
 * external memory allocated since the last mark-compact). A 32 MiB buffer made when a read starts left no room under the limit the last collection had set
 * (about 24 MB above the heap at 100,000 keys), so V8 started incremental marking at once, and the parser ran
 * with marking on: every pointer it stores (a row's flags, perm, expiry, type and summary) went through the
 * marking write barrier. Measured over 40 runs of parse + classify at 100,000 lines (`--trace-gc`): the 20 runs
 * made while V8 marked took 28.8 ms at the median, the 20 others 22.0 ms; every live scrape at 100,000 keys
 * started marking (`--trace-incremental-marking`: "Start (allocation limit)" right after the buffer was made).
 * A buffer made before the collection is in the baseline the collection sets.
 */
let spare: ArrayBuffer | null = null;

/**
 * Called just before a collection (procfs/collect-garbage.ts): after a large read, makes the buffer the next read
 * will fill (`spare`), as large as the last one asked for or a quarter more than the last file read.
 */
export function prepareNextRead(): void {
  if (largeAskedSinceCollection) spare ??= allocate(Math.max(largeAsked, Math.ceil(lastSize * 1.25)));
  largeAskedSinceCollection = false;
  smallMadeSinceCollection = 0;
}

/** A file's bytes as they arrive (from the reader thread, or `npm run bench`, which reads as the exporter does). */
export class FileBytes {
  private buffer: ArrayBuffer;
  private bytes: Uint8Array;
  length = 0;

  /** `expected`: the likely size of the file (the buffer grows past it if needed). */
  constructor(expected: number) {
    this.buffer = newBuffer(expected);
    this.bytes = new Uint8Array(this.buffer);
  }

  append(data: Uint8Array): void {
    const end = this.length + data.length;
    if (end > this.bytes.length) {
      const larger = newBuffer(Math.max(end, this.bytes.length * 2));
      new Uint8Array(larger).set(this.bytes.subarray(0, this.length));
      this.buffer = larger;
      this.bytes = new Uint8Array(larger);
    }
    this.bytes.set(data, this.length);
    this.length = end;
  }

  /** The bytes so far. */
  view(): Buffer {
    return Buffer.from(this.buffer, 0, this.length);
  }
}

function tell(p: Pending): void {
  if (p.onBytes === undefined) return;
  try {
    p.onBytes(p.bytes.view());
  } catch (err) {
    // The listener's failure is its own (it parses what it can at the end); the read goes on.
    p.onBytes = undefined;
    process.emitWarning(err instanceof Error ? err : String(err));
  }
}

function reader(): Worker {
  if (worker !== null) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  w.postMessage({ returnPort: port2 }, [port2]);
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    if (m.error !== undefined) {
      settle(w, m.id);
      p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      return;
    }
    if (m.chunk !== undefined) {
      p.bytes.append(new Uint8Array(m.chunk, 0, m.length));
      port1.postMessage(m.chunk, [m.chunk]);
    }
    if (m.done === true) {
      settle(w, m.id);
      lastSize = p.bytes.length;
      p.resolve(p.bytes.view());
      return;
    }
    tell(p);
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', (code) => failAll(new Error(`the reader thread exited (${code})`)));
  w.unref();
  worker = w;
  returnPort = port1;
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
    // A quarter more than last time: keys come and go between scrapes. The first read, of a size unknown, gets a
    // large buffer: grown from a small one it was copied into ever larger buffers, left in malloc's heap (the
    // exporter serving 100,000 keys idled 3 MB and peaked 5 MB higher).
    const expected = lastSize === 0 ? LARGE_BUFFER_BYTES : Math.max(Math.ceil(lastSize * 1.25), head.length * 2);
    const p: Pending = { bytes: new FileBytes(expected), onBytes, resolve, reject };
    p.bytes.append(head);
    pending.set(id, p);
    w.ref();
    w.postMessage({ id, fd, at: head.length, expected: lastSize });
    // The first pages are parsed while the worker reads the next.
    tell(p);
  });
}

/** Ask the reader thread to collect its garbage (the chunks of finished reads), if it exists and is idle. */
export function collectReaderGarbage(): void {
  if (worker !== null && pending.size === 0) worker.postMessage({ collect: true });
}
