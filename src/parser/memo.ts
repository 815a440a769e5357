/**
 * A bounded memo for pure decoders whose inputs repeat (flag strings, perm masks, expiry texts, type columns):
 * a host with 100,000 keys has a few dozen distinct values of each. Values are immutable and derived only from
 * the key, so nothing can go stale; the bound keeps attacker-chosen variety (e.g. perm masks) from growing it.
 */
export function memoize<K, V>(fn: (key: K) => V, max = 4096): (key: K) => V {
  const cache = new Map<K, V>();
  return (key: K): V => {
    let v = cache.get(key);
    if (v === undefined && !cache.has(key)) {
      v = fn(key);
      if (cache.size >= max) cache.clear();
      cache.set(key, v);
    }
    return v as V;
  };
}
