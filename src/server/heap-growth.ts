/**
 * How far V8 lets a serving exporter's heap grow past what its last full collection kept alive. A device, kept
 * because `npm run bench` shows the peak RSS at 100,000 keys more than twice the target without it.
 *
 * A serving exporter keeps one large, stable set of objects (the records of every key, kernel-confirmed once:
 * parser/read-memo.ts), and each scrape leaves garbage in the old generation (its arrays of every record are
 * large objects, allocated there). V8 sizes the next full collection's threshold from the set it kept, by a
 * factor of up to 4 on a machine with several GB of memory: with 100,000 keys the process would grow to several
 * times what it holds before collecting. A fixed factor of 1.2 keeps it near what it holds; the collections it
 * adds cost a few percent of a scrape's CPU. V8 reads the flag at each full collection.
 *
 * The young generation is the other half of the device: bin/keyring-exporter starts Node with
 * --max-semi-space-size=4 (V8 reads that one only at start). The first read of a host's keys makes every record
 * at once, and V8 then grows each of the two semi-spaces to its default maximum of 16 MB and keeps them: 24 MB of
 * resident memory more than with 4 MB ones, at 100,000 keys and on a small host alike, for a scrape some 4% faster.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;

export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
