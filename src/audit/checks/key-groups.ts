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

/** A command run as `uid`, as root runs it (setpriv of util-linux). */
export function asUid(uid: number, command: string): string {
  return `setpriv --reuid=${uid} --regid=${uid} --clear-groups ${command}`;
}

/**
 * How to revoke a key of `uid` with perm `perm`, in a command that works for whoever it names. KEYCTL_REVOKE needs
 * write or setattr (security/keys/keyctl.c keyctl_revoke_key()); root is only the "other" subject of another
 * user's key, and no capability overrides key permissions.
 */
export function revokeFix(uid: number, serial: string, perm: number): string {
  const WRITE_OR_SETATTR = 0x24;
  if ((perm & WRITE_OR_SETATTR) !== 0) return `its perm lets any user revoke it: \`keyctl revoke 0x${serial}\``;
  if (((perm >>> 16) & WRITE_OR_SETATTR) !== 0) return `as its owner: \`${asUid(uid, `keyctl revoke 0x${serial}`)}\``;
  return (
    `only a process that possesses it may revoke it (its perm gives neither its owner nor others write or setattr): ` +
    `have uid ${uid} run \`keyctl revoke 0x${serial}\` in the session that holds it, or end uid ${uid}'s sessions ` +
    `(\`loginctl terminate-user ${uid}\`), which drops the keyrings holding it`
  );
}
