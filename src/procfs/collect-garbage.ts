/**
 * A full garbage collection after each large read (and after every few smaller ones), once the scrape it was read
 * for is served.
 *
 * A read of /proc/keys at 100,000 keys makes some 15 MB outside the JavaScript heap (the file's 9 MB, the key
 * table's columns) and 15 MB inside it, all garbage once its scrape is served. V8 starts a full collection on
 * its own only after 64 MB of such outside memory has grown since the last one (or when its heap limits say
 * so), so the memory of four or five reads piled up between collections. The exporter's peak (VmHWM) serving
 * 100,000 keys: 258 MB in `npm run bench` before this (and the other changes of issue 6), 132 MB with a
 * collection per large read; a capture of the same 100,000 keys scraped 62 times (15 in a row, 32 at once, 15
 * more): 211 to 218 MB without the collection, 139 to 158 MB with it.
 *
 * Smaller reads are collected once the buffers they were read into add up to a large one (seq-file-reader.ts
 * says why not after each): at 10,000 keys a collection costs some 25 ms of CPU, most of a scrape's. A small
 * host's reads, made without such a buffer, are left to V8.
 *
 * A read only marks the collection as due (noteRead); the server asks for it once a response has been
 * written (collectIfDue), and it runs on the next turn of the event loop: between scrapes, never inside one
 * (it takes 15 to 40 ms at 100,000 keys; scheduled when the read was handed over, it landed inside the scrape
 * whenever the scrape awaited, and the bench's scrape at 100,000 keys went from 282 to 334 ms). A one-shot
 * command never asks, and never pays for it. Nothing is kept: it only frees what no scrape can see any more.
 *
 * Node exposes the collector only under --expose-gc; the flag set at run time gives it to a new context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buffersCallForCollection, collectReaderGarbage, LARGE_BUFFER_BYTES, prepareNextRead } from './seq-file-reader.js';

let collector: (() => void) | null | undefined;

function gc(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      collector = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

/** Reads of at least this many bytes (about 45,000 keys: a large buffer, seq-file-reader.ts) are collected after each. */
export const LARGE_READ_BYTES = LARGE_BUFFER_BYTES;

let due = false;
let scheduled = false;

/**
 * Called when the bytes of /proc/keys are handed over to be parsed and served: a large read, or buffers made since
 * the last collection that call for one (seq-file-reader.ts buffersCallForCollection: a large one, or small ones
 * adding up to a large one), make a collection due after the scrape.
 */
export function noteRead(bytes: number): void {
  if (bytes >= LARGE_READ_BYTES || buffersCallForCollection()) due = true;
}

/** A due collection, now (`npm run bench`, which reads and parses as the exporter does, between its runs). */
export function collectNowIfDue(): void {
  if (!due) return;
  due = false;
  collectGarbage();
}

/** Called once a response has been written: a due collection runs on the next turn of the event loop. */
export function collectIfDue(): void {
  if (!due || scheduled) return;
  due = false;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    collectGarbage();
  });
}

/** The collection itself: this thread's heap, and the reader thread's (benchmarks make it as the exporter does). */
export function collectGarbage(): void {
  // Before the collection, so that V8 counts the next read's buffer in the baseline it sets (seq-file-reader.ts `spare`).
  prepareNextRead();
  gc()?.();
  collectReaderGarbage();
}
