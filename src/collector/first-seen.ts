/**
 * How long a serving exporter has seen the oldest entry of each upcall cache: the kernel keeps no creation time
 * it would show (/proc/keys and KEYCTL_DESCRIBE give none), so the age is counted from the first scrape that
 * listed the entry. Entries that vanished are forgotten, so what is kept is bounded by what the host holds.
 */
import type { UpcallCache, UpcallType } from '../classify/upcall-cache.js';

export interface FirstSeen {
  /** Seconds since the first sight of the oldest entry of each type that has entries, at `now` (Unix seconds). */
  oldest(caches: readonly UpcallCache[], now: number): Map<UpcallType, number>;
}

export function createFirstSeen(): FirstSeen {
  let seen = new Map<string, number>();
  return {
    oldest(caches, now) {
      const next = new Map<string, number>();
      const ages = new Map<UpcallType, number>();
      for (const c of caches)
        for (const k of c.keys) {
          // A serial is handed out again only after its key is gone: with the owner and type, one entry.
          const id = `${k.serialNumber}:${k.uid}:${c.type}`;
          const first = seen.get(id) ?? next.get(id) ?? now;
          next.set(id, first);
          ages.set(c.type, Math.max(ages.get(c.type) ?? 0, now - first));
        }
      seen = next;
      return ages;
    },
  };
}
