/**
 * The kernel's caches of answers from userspace helpers, which it keeps as keys: dns_resolver (NFS, CIFS and AFS
 * name lookups, net/dns_resolver/dns_key.c), id_resolver and id_legacy (NFSv4 id mapping, fs/nfs/nfs4idmap.c),
 * cifs.spnego and cifs.idmap (fs/smb/client/), and .request_key_auth, the authority a helper holds while it runs
 * (security/keys/request_key_auth.c). Per type: the entries, those that cache a failure, those that never expire
 * and those of types only the kernel's own lookups make that a uid other than root owns. Pure.
 */
import type { InventoryKey } from './inventory.js';
import type { KeyGroups } from './record-pass.js';

export const UPCALL_TYPES = ['dns_resolver', 'id_resolver', 'id_legacy', 'cifs.spnego', 'cifs.idmap', '.request_key_auth'] as const;
export type UpcallType = (typeof UPCALL_TYPES)[number];

/**
 * Types the kernel requests with credentials of its own (uid 0) for its own lookups: the NFS and SMB clients
 * look them up in their own keyrings. One owned by another uid was made by that uid, not by the kernel.
 */
export const KERNEL_ONLY_UPCALL_TYPES: ReadonlySet<UpcallType> = new Set(['id_resolver', 'id_legacy', 'cifs.spnego', 'cifs.idmap']);

/** Types whose entries are answers kept for later lookups: one that never expires never follows a change. */
export const EXPIRING_UPCALL_TYPES: ReadonlySet<UpcallType> = new Set(['dns_resolver', 'id_resolver', 'id_legacy', 'cifs.idmap']);

export interface UpcallCache {
  type: UpcallType;
  /** Every entry, in file order. */
  keys: InventoryKey[];
  /** Entries that cache a failure: negative keys, and dns_resolver keys holding a DNS error (`: -errno`). */
  failed: InventoryKey[];
  /** Instantiated entries without an expiry, of the types whose entries should expire. */
  permanent: InventoryKey[];
  /** Entries of a kernel-only type owned by a uid other than 0. */
  notKernelOwned: InventoryKey[];
}

const TYPE_SET: ReadonlySet<string> = new Set(UPCALL_TYPES);

/** The caches of one inventory's trusted keys, one per type, in UPCALL_TYPES order (types without entries too). */
export function upcallCaches(trusted: readonly InventoryKey[], groups: Pick<KeyGroups, 'counts'>): UpcallCache[] {
  const caches = new Map<UpcallType, UpcallCache>(UPCALL_TYPES.map((type) => [type, { type, keys: [], failed: [], permanent: [], notKernelOwned: [] }]));
  // Most hosts hold no entry at all: the counts by type say so without a look at every key.
  if ([...groups.counts.keys()].some((t) => TYPE_SET.has(t.name)))
    for (const k of trusted) {
      const cache = caches.get(k.type.name as UpcallType);
      if (cache === undefined) continue;
      cache.keys.push(k);
      if (k.state === 'negative' || k.summary?.kind === 'error') cache.failed.push(k);
      else if (k.state === 'instantiated' && k.expiry.kind === 'perm' && EXPIRING_UPCALL_TYPES.has(cache.type)) cache.permanent.push(k);
      if (k.uid !== 0 && KERNEL_ONLY_UPCALL_TYPES.has(cache.type)) cache.notKernelOwned.push(k);
    }
  return [...caches.values()];
}
