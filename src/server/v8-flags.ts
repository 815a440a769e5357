/**
 * V8's settings for a serving exporter. A device, kept because `npm run bench` shows targets missed without
 * each part.
 *
 * - Heap growth (the peak RSS at 100,000 keys, more than twice its target without it). A serving exporter keeps
 *   one large, stable set of objects (the records of every key, kernel-confirmed once: parser/read-memo.ts), and
 *   each scrape leaves garbage in the old generation (its arrays of every record are large objects, allocated
 *   there). V8 sizes the next full collection's threshold from the set it kept, by a factor of up to 4 on a
 *   machine with several GB of memory: with 100,000 keys the process would grow to several times what it holds
 *   before collecting. A fixed factor of 1.2 keeps it near what it holds; the collections it adds cost a few
 *   percent of a scrape's CPU. V8 reads the flag at each full collection.
 * - The young generation (a small host's resident memory): bin/keyring-exporter starts Node with
 *   --max-semi-space-size=1 (V8 reads that one only at start). V8 grows each of the two semi-spaces up to 16 MB
 *   as a scrape's objects survive (the first read of a host's keys makes every record at once) and keeps them:
 *   some 30 MB of resident memory more than 1 MB ones, at 100,000 keys and on a small host alike; with 4 MB ones a
 *   small host's exporter holds some 6 MB more than with 1 MB. A scrape at 100,000 keys then makes about 15 more
 *   young collections (its 9 MB of text pass through the young generation), some 2% of its time.
 * - Tiering (a small host's CPU over its first thousands of scrapes). V8 optimises a function once it has run
 *   for an "interrupt budget" of bytecode; most of a scrape's functions run once a scrape, so with the default
 *   budget V8 is still compiling them thousands of scrapes after start, on threads of its own: about 0.2 ms of
 *   CPU a scrape over scrapes 500 to 2,500. An eighth of the budget has them optimised within the first few
 *   hundred. Set before the first read, so that the scrape's functions start with it.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;
export const INTERRUPT_BUDGET = 8 * 1024;

export function tuneV8ForServing(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
