/**
 * A large /proc file read on a thread of its own (stream-worker.ts) and handed to the main thread as it is
 * read, so that the main thread parses one part while the kernel prints the next: at 100,000 keys the kernel's
 * printing of /proc/keys is most of a scrape, and the parse and classification then cost little more than it.
 *
 * One thread and one shared buffer (grown to the largest file read) serve every read, one read at a time. The
 * thread is started on the first read and keeps the process alive only while a read is in flight.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import type { StreamReport, StreamRequest } from './stream-worker.js';

/** A growable SharedArrayBuffer (ES2024, in Node since 20; TypeScript's ES2023 library does not type it). */
export interface GrowableBuffer extends SharedArrayBuffer {
  grow(byteLength: number): void;
  readonly maxByteLength: number;
}

export function growableBuffer(byteLength: number, maxByteLength: number): GrowableBuffer {
  const Growable = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => GrowableBuffer;
  return new Growable(byteLength, { maxByteLength });
}

/** The most a streamed file may hold. */
const MAX_BYTES = 2 ** 32;

/** Told the bytes read so far: `bytes[0, n)`; `done` once the file ended at `n`. */
export type StreamSink = (bytes: Buffer, n: number, done: boolean) => void;

let worker: Worker | null = null;
let buffer: GrowableBuffer | null = null;
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
  buffer ??= growableBuffer(256 * 1024, MAX_BYTES);
  const shared = buffer;
  return new Promise<number>((resolve, reject) => {
    let view = Buffer.from(shared);
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
      if (view.length !== shared.byteLength) view = Buffer.from(shared);
      try {
        sink(view, m.n, m.done === true);
      } catch (err) {
        // The thread goes on reading: this read's later reports are dropped with it.
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
    w.postMessage({ path, buffer: shared } satisfies StreamRequest);
  });
}
