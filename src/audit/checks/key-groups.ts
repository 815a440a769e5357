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
  // Only the start is shown: a character is at most 4 bytes, so that much of a long description is escaped, cut
  // before a UTF-8 continuation byte (a description is up to 4,095 bytes, and a hostile host has thousands).
  const d = k.description;
  let cut = d.length;
  if (cut > 4 * max + 4) {
    cut = 4 * max;
    while (cut > 0 && (d.charCodeAt(cut) & 0xc0) === 0x80) cut--;
  }
  const e = escapeByteString(cut === d.length ? d : d.slice(0, cut));
  return `"${e.length > max || cut < d.length ? `${e.slice(0, max - 1)}…` : e}"`;
}

/** Up to `n` quoted descriptions of the keys, "and N more". */
export function examples(keys: readonly InventoryKey[], n = 3): string {
  const shown = keys.slice(0, n).map((k) => quoted(k, 40));
  return keys.length > n ? `${shown.join(', ')} and ${keys.length - n} more` : shown.join(', ');
}

/**
 * A description's shape: runs of 8 or more hex digits as `<N hex>` and other runs of digits as `<n>`, so that the
 * keyrings a runtime names per container (`_ses.<64 hex>`) or a client per ticket fall into one group.
 */
export function nameShape(description: string): string {
  return description.replace(/[0-9a-f]{8,}|\d+/g, (m) => (/^\d+$/.test(m) && m.length < 16 ? '<n>' : `<${m.length} hex>`));
}

/** What a uid's listed keys are, the largest groups first: `196 session keyrings named "_ses.<64 hex>", ...`. */
export function whatTheyAre(keys: readonly InventoryKey[], n = 3): string {
  const groups = new Map<string, { count: number; kind: string; shape: string }>();
  for (const k of keys) {
    const kind = k.class === 'key' ? `${k.type.name} key` : `${k.class} keyring`;
    const shape = nameShape(k.description);
    const id = `${kind}\u0000${shape}`;
    const g = groups.get(id);
    if (g === undefined) groups.set(id, { count: 1, kind, shape });
    else g.count++;
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  const shown = sorted.slice(0, n).map((g) => `${g.count} ${g.kind}${g.count > 1 ? 's' : ''} named ${quoted({ description: g.shape }, 40)}`);
  const rest = sorted.slice(n).reduce((sum, g) => sum + g.count, 0);
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
