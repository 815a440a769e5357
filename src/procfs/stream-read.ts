/**
 * A large /proc file read on a thread of its own (stream-worker.ts) and handed to the main thread as it is
 * read, so that the main thread parses one part while the kernel prints the next: at 100,000 keys the kernel's
 * printing of /proc/keys is most of a scrape, and the parse and classification then cost little more than it.
 *
 * One thread and one ring of shared bytes serve every read, one read at a time: the memory a read takes does not
 * grow with the file. The thread is started on the first read and keeps the process alive only while a read is
 * in flight.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import type { StreamReport, StreamRequest } from './stream-worker.js';

/**
 * The ring's size. What the sink keeps unconsumed (a parse: less than proc-keys-exact.ts LOOKAHEAD, some 17 KB)
 * and a few reports of the thread fit many times over.
 */
const RING_BYTES = 1024 * 1024;
/** The most the sink may leave unconsumed: the thread needs the rest of the ring to go on reading. */
const MAX_UNCONSUMED = RING_BYTES / 2;

/**
 * Told the file's text from offset `at` up to what was read so far (`done`: to its end). Returns the offset
 * from which it needs the text again (the next call's `at`): bytes before it may be overwritten.
 */
export type StreamSink = (window: string, at: number, done: boolean) => number;

let worker: Worker | null = null;
let ring: SharedArrayBuffer | null = null;
/** [0]: the offset below which the sink needs no byte of the read in flight (stream-worker.ts). */
let consumed: SharedArrayBuffer | null = null;
/** The read in flight: the next one starts after it. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Read `path` on the reader thread, telling `sink` as it goes. Resolves with the file's length; rejects with the
 * read's error (its errno code in `code`), or with what `sink` threw.
 */
export function streamProcFile(path: string, sink: StreamSink): Promise<number> {
  const run = queue.then(() => streamOne(path, sink));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The reader thread, started on the first read. Its exit listener lives as long as the thread: made here, it
 * holds nothing of a read (made in streamOne, it would keep the first read's sink, and with it that read's whole
 * parse, alive).
 */
function readerThread(): Worker {
  if (worker === null) {
    const w = startWorker('stream-worker.js');
    w.on('exit', () => {
      if (worker === w) worker = null;
    });
    worker = w;
  }
  return worker;
}

function streamOne(path: string, sink: StreamSink): Promise<number> {
  const w = readerThread();
  const shared = (ring ??= new SharedArrayBuffer(RING_BYTES));
  const control = (consumed ??= new SharedArrayBuffer(8));
  const view = Buffer.from(shared);
  const done = new BigInt64Array(control);
  Atomics.store(done, 0, 0n);
  let from = 0;
  return new Promise<number>((resolve, reject) => {
    const finish = (): void => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      w.unref();
    };
    const onMessage = (m: StreamReport): void => {
      if (m.error !== undefined) {
        finish();
        reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        return;
      }
      try {
        const next = sink(textOf(view, from, m.n), from, m.done === true);
        if (next < from || next > m.n) throw new Error(`the sink asked for the text from ${next}, outside ${from}-${m.n}`);
        if (m.n - next > MAX_UNCONSUMED) throw new Error(`the sink kept ${m.n - next} bytes unconsumed, more than the reader thread can hold`);
        from = next;
        Atomics.store(done, 0, BigInt(from));
        Atomics.notify(done, 0);
      } catch (err) {
        // The thread may be waiting for room, or reading on: this read's later reports are dropped with it.
        finish();
        w.terminate().catch(() => undefined);
        if (worker === w) worker = null;
        reject(err as Error);
        return;
      }
      if (m.done === true) {
        finish();
        resolve(m.n);
      }
    };
    const onError = (e: Error): void => {
      finish();
      if (worker === w) worker = null;
      reject(e);
    };
    const onExit = (code: number): void => onError(new Error(`the reader thread ended (exit code ${code})`));
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.ref();
    w.postMessage({ path, ring: shared, consumed: control } satisfies StreamRequest);
  });
}

/** The file's text [from, to) from the ring, where byte `i` is at `i % ring.length`. */
function textOf(ring: Buffer, from: number, to: number): string {
  const a = from % ring.length;
  const b = a + (to - from);
  return b <= ring.length ? ring.toString('latin1', a, b) : ring.toString('latin1', a) + ring.toString('latin1', 0, b - ring.length);
}
