/**
 * One read of the keys files per scrape, shared: scrapes that arrive while a read is in flight wait for that
 * read instead of starting another (architecture.md habit 7). What is shared is the inventory (the read parsed
 * and classified), made once per read. Nothing is kept once the read is done, so no scrape sees a stale one.
 */
import { inventoryBuilder, type Inventory } from '../classify/inventory.js';
import type { RecordSink } from '../parser/proc-keys.js';
import type { Snapshot } from '../parser/snapshot.js';

/** Read a snapshot, telling `onRecord` each record of /proc/keys as it is parsed, where the reader can. */
export type SnapshotRead = (onRecord?: RecordSink) => Promise<Snapshot>;

export interface Scraper {
  inventory(): Promise<Inventory>;
  /** Reads started so far (exported as keyring_exporter_reads_total). */
  readonly reads: number;
}

export function createScraper(read: SnapshotRead): Scraper {
  let inFlight: Promise<Inventory> | null = null;
  let reads = 0;
  return {
    inventory(): Promise<Inventory> {
      if (inFlight === null) {
        reads++;
        // The read of /proc is synchronous: a turn of the event loop first lets the scrapes that arrived with this
        // one join it, rather than each starting its own read after it.
        // Records are classified as the read parses them (classify/record-pass.ts), while the kernel prints the rest.
        const builder = inventoryBuilder();
        inFlight = new Promise<void>((resolve) => setImmediate(resolve))
          .then(() => read((r, records) => builder.add(r, records)))
          .then((snapshot) => builder.build(snapshot))
          .finally(() => {
            inFlight = null;
          });
      }
      return inFlight;
    },
    get reads(): number {
      return reads;
    },
  };
}
