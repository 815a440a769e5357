/**
 * The thread of stream-read.ts: reads a /proc file with blocking read(2)s into a shared ring of bytes and says
 * how far it got every CHUNK bytes, so that the main thread parses one part while the kernel prints the next.
 * It never writes over bytes the main thread still needs: it waits for them to be consumed (`consumed`, stored
 * by the main thread) when the ring is full.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

/**
 * Bytes between two reports. The main thread makes a string of each part (with the end of the part before it,
 * up to proc-keys-exact.ts LOOKAHEAD): kept under V8's largest ordinary object (128 KB), those strings are
 * young garbage, freed by the next scavenge, instead of large objects kept until a full collection.
 */
const CHUNK = 32 * 1024;
/** The least room a read(2) is made with: a page, what a seq_file gives at most. */
const MIN_READ = 4096;
/** How long a wait for the main thread lasts before the ring is looked at again (ms). */
const WAIT_MS = 200;

export interface StreamRequest {
  path: string;
  /** The ring: byte `i` of the file is at `i % ring.byteLength`. */
  ring: SharedArrayBuffer;
  /** [0]: the offset in the file below which the main thread needs no byte (BigInt64Array, Atomics). */
  consumed: SharedArrayBuffer;
}

/** `n` bytes of the file are read; `done`: the file ended there; `error`: the read failed. */
export interface StreamReport {
  n: number;
  done?: boolean;
  error?: { code: string; message: string };
}

const port = parentPort;
if (port === null) throw new Error('stream-worker.js runs as a worker thread');

port.on('message', ({ path, ring, consumed }: StreamRequest) => {
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      const view = Buffer.from(ring);
      const done = new BigInt64Array(consumed);
      const size = view.length;
      let reported = 0;
      for (;;) {
        const seen = Atomics.load(done, 0);
        const free = size - (n - Number(seen));
        if (free < MIN_READ) {
          // Full: what was read is the main thread's to parse, and this thread waits until it has.
          if (n > reported) {
            port.postMessage({ n } satisfies StreamReport);
            reported = n;
          }
          Atomics.wait(done, 0, seen, WAIT_MS);
          continue;
        }
        const at = n % size;
        const r = readSync(fd, view, at, Math.min(size - at, free), null);
        if (r === 0) break;
        n += r;
        if (n - reported >= CHUNK) {
          port.postMessage({ n } satisfies StreamReport);
          reported = n;
        }
      }
    } finally {
      closeSync(fd);
    }
    port.postMessage({ n, done: true } satisfies StreamReport);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ n, error: { code: e.code ?? 'EIO', message: e.message } } satisfies StreamReport);
  }
});
