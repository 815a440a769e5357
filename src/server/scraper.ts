/**
 * One read of the keys files per scrape, shared: scrapes that arrive while a read is in flight wait for that
 * read instead of starting another (architecture.md habit 7). Nothing is kept once the read is done, so no
 * scrape ever sees a stale snapshot.
 */
import type { Snapshot } from '../parser/snapshot.js';

export interface Scraper {
  snapshot(): Promise<Snapshot>;
  /** Reads started so far (for tests and the benchmark). */
  readonly reads: number;
}

export function createScraper(read: () => Promise<Snapshot>): Scraper {
  let inFlight: Promise<Snapshot> | null = null;
  let reads = 0;
  return {
    snapshot(): Promise<Snapshot> {
      if (inFlight === null) {
        reads++;
        inFlight = read().finally(() => {
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
