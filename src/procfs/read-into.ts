/** Blocking reads of a file into a buffer that grows as needed (read-proc-files.ts, reader-thread-worker.ts). */
import { readSync } from 'node:fs';

/**
 * Read `fd` into `buffer` from offset `n` until the file ends (`done`) or at least `until` bytes are in. The
 * buffer is doubled when full: the one returned may be a new one.
 */
export function readInto(fd: number, buffer: Buffer, n: number, until = Number.POSITIVE_INFINITY): { buffer: Buffer; n: number; done: boolean } {
  let buf = buffer;
  let at = n;
  while (at < until) {
    if (at === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    }
    const r = readSync(fd, buf, at, buf.length - at, null);
    if (r === 0) return { buffer: buf, n: at, done: true };
    at += r;
  }
  return { buffer: buf, n: at, done: false };
}
