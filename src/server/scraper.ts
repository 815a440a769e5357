/**
 * One read of the keys files per scrape, shared: scrapes that arrive while a read is in flight wait for that
 * read instead of starting another (architecture.md habit 7). What is shared is the inventory (the read parsed
 * and classified), made once per read: buildInventory takes ownership of the snapshot, so a snapshot must not
 * feed two of them. Nothing is kept once the read is done, so no scrape ever sees a stale inventory.
 */
import { buildInventory, RowClassifier, type Inventory } from '../classify/inventory.js';
import type { KeyTable } from '../parser/key-table.js';
import type { Snapshot } from '../parser/snapshot.js';

export interface Scraper {
  inventory(): Promise<Inventory>;
  /** Reads started so far (exported as keyring_exporter_reads_total). */
  readonly reads: number;
}

/**
 * `read` reads a snapshot, telling `onRows` the rows of /proc/keys parsed so far while it reads the rest
 * (procfs/read-proc-files.ts): they are classified meanwhile, and only the last rows are left for after the read.
 */
export function createScraper(read: (onRows?: (table: KeyTable) => void) => Promise<Snapshot>): Scraper {
  let inFlight: Promise<Inventory> | null = null;
  let reads = 0;
  let overflowGid = 65534;
  return {
    inventory(): Promise<Inventory> {
      if (inFlight === null) {
        reads++;
        // Classified with the overflow gid of the last read: buildInventory starts over if it changed.
        const classifier = new RowClassifier(overflowGid);
        inFlight = read((table) => classifier.classify(table))
          .then((snapshot) => {
            overflowGid = snapshot.overflowGid;
            return buildInventory(snapshot, classifier);
          })
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
