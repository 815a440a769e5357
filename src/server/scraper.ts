/**
 * One read of the keys files per scrape, shared: scrapes that arrive while a read is in flight wait for that
 * read instead of starting another (architecture.md habit 7). What is shared is the inventory (the read parsed
 * and classified), made once per read. Nothing is kept once the read is done, so no scrape sees a stale one.
 */
import { buildInventory, type Inventory } from '../classify/inventory.js';
import type { Snapshot } from '../parser/snapshot.js';

export interface Scraper {
  inventory(): Promise<Inventory>;
  /** Reads started so far (exported as keyring_exporter_reads_total). */
  readonly reads: number;
}

export function createScraper(read: () => Promise<Snapshot>): Scraper {
  let inFlight: Promise<Inventory> | null = null;
  let reads = 0;
  return {
    inventory(): Promise<Inventory> {
      if (inFlight === null) {
        reads++;
        // The read of /proc is synchronous: a turn of the event loop first lets the scrapes that arrived with this
        // one join it, rather than each starting its own read after it.
        inFlight = new Promise<void>((resolve) => setImmediate(resolve))
          .then(read)
          .then(buildInventory)
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
