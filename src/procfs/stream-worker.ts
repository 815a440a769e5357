/**
 * The thread of stream-read.ts: reads a /proc file with blocking read(2)s into a shared buffer and says how far
 * it got every CHUNK bytes, so that the main thread parses one part while the kernel prints the next.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { GrowableBuffer } from './stream-read.js';

/**
 * Bytes between two reports. The main thread makes a string of each part (with the end of the part before it,
 * up to proc-keys-exact.ts LOOKAHEAD): kept under V8's largest ordinary object (128 KB), those strings are
 * young garbage, freed by the next scavenge, instead of large objects kept until a full collection.
 */
const CHUNK = 32 * 1024;
/** Room kept free before a read(2): a seq_file returns at most a page, a record may take a few. */
const ROOM = 64 * 1024;

export interface StreamRequest {
  path: string;
  buffer: GrowableBuffer;
}

/** `n` bytes are in the buffer (which may have grown); `done`: the file ended there; `error`: the read failed. */
export interface StreamReport {
  n: number;
  done?: boolean;
  error?: { code: string; message: string };
}

const port = parentPort;
if (port === null) throw new Error('stream-worker.js runs as a worker thread');

port.on('message', ({ path, buffer }: StreamRequest) => {
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      let view = Buffer.from(buffer);
      let reported = 0;
      for (;;) {
        if (view.length - n < ROOM) {
          buffer.grow(Math.min(buffer.maxByteLength, Math.max(2 * buffer.byteLength, n + ROOM)));
          if (buffer.byteLength - n < ROOM) throw Object.assign(new Error(`${path} is larger than ${buffer.maxByteLength} bytes`), { code: 'EFBIG' });
          view = Buffer.from(buffer);
        }
        const r = readSync(fd, view, n, view.length - n, null);
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
