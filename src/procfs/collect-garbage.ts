/**
 * A full garbage collection after each large read, once the scrape it was read for is served.
 *
 * A read of /proc/keys at 100,000 keys makes some 15 MB outside the JavaScript heap (the file's 9 MB, the key
 * table's columns) and 15 MB inside it, all garbage once its scrape is served. V8 starts a full collection on
 * its own only after 64 MB of such outside memory has grown since the last one (or when its heap limits say
 * so), so the memory of four or five reads piled up between collections. The exporter's peak (VmHWM) serving
 * 100,000 keys: 258 MB in `npm run bench` before this (and the other changes of issue 6), 132 MB with a
 * collection per large read; a capture of the same 100,000 keys scraped 62 times (15 in a row, 32 at once, 15
 * more): 211 to 218 MB without the collection, 139 to 158 MB with it.
 *
 * The collection is scheduled with setImmediate() when the snapshot is handed over: the scrape that asked for
 * it (inventory, collectors, exposition, response) runs to its end in promise continuations first, so the
 * collection frees that scrape's memory as well and runs between scrapes, not inside one (it takes 15 to 40 ms
 * at 100,000 keys). A one-shot command reads once and never pays for it: only a large read that follows
 * another one schedules a collection. Nothing is kept: it only frees what no scrape can see any more.
 *
 * Node exposes the collector only under --expose-gc; the flag set at run time gives it to a new context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

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

/** Reads of at least this many bytes (about 10,000 keys) leave enough behind to be worth a collection. */
const LARGE_READ = 1024 * 1024;

let largeReadBefore = false;
let scheduled = false;

function collect(): void {
  scheduled = false;
  gc()?.();
}

/** Called when the bytes of a read are handed over to be parsed and served. */
export function collectAfterLargeRead(bytes: number): void {
  if (bytes < LARGE_READ) return;
  if (largeReadBefore && !scheduled) {
    scheduled = true;
    setImmediate(collect);
  }
  largeReadBefore = true;
}
