/** Helpers shared by the checks that look at keys: rows grouped by uid, escaped examples. */
import type { InventoryKey } from '../../classify/inventory.js';
import { escapeByteString } from '../../parser/byte-string.js';

/** Keys by owner uid, uids in ascending order, keys in file order. */
export function byUid(keys: readonly InventoryKey[]): Map<number, InventoryKey[]> {
  const groups = new Map<number, InventoryKey[]>();
  for (const k of keys) {
    const g = groups.get(k.uid);
    if (g === undefined) groups.set(k.uid, [k]);
    else g.push(k);
  }
  return new Map([...groups].sort((a, b) => a[0] - b[0]));
}

/** A key's description for a message: escaped, quoted, shortened. */
export function quoted(k: Pick<InventoryKey, 'description'>, max = 60): string {
  const e = escapeByteString(k.description);
  return `"${e.length > max ? e.slice(0, max - 1) + '…' : e}"`;
}

/** Up to `n` quoted descriptions of the keys, "and N more". */
export function examples(keys: readonly InventoryKey[], n = 3): string {
  const shown = keys.slice(0, n).map((k) => quoted(k, 40));
  return keys.length > n ? `${shown.join(', ')} and ${keys.length - n} more` : shown.join(', ');
}
