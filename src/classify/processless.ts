/**
 * Keys of uids that run no process: what a user left behind after logout (issue 24). A persistent keyring keeps
 * its keys for days after the last login (persistent-keyring(7)); fscrypt and ecryptfs keep their `logon` keys,
 * services their cached passphrases. Which uids run no process comes from the read (procfs/process-uids.ts); the
 * keys are those of them the read showed, by type and class. Pure.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { InventoryKey } from './inventory.js';

/** Key types that hold a secret as their payload. */
export const SECRET_TYPES: ReadonlySet<string> = new Set(['user', 'logon', 'big_key', 'encrypted', 'trusted', 'fscrypt-provisioning']);

export interface ProcesslessUid {
  uid: number;
  /** Keys /proc/key-users counts for the uid, but for its user and user-session keyrings where the read showed them. */
  owned: number;
  /** The uid's keys the read showed, by type and by class. */
  byType: Record<string, number>;
  byClass: Record<string, number>;
  /** Of them, keys of a type that holds a secret (SECRET_TYPES). */
  secrets: number;
}

/** The uids `processless` names that own keys, with what of theirs the read showed; none where processes were not seen. */
export function processlessUids(processless: readonly number[] | undefined, users: readonly KeyUserRecord[] | null, trusted: readonly InventoryKey[]): ProcesslessUid[] {
  if (processless === undefined || processless.length === 0 || users === null) return [];
  const byUid = new Map<number, ProcesslessUid>();
  for (const u of users) if (processless.includes(u.uid) && u.nkeys > 0) byUid.set(u.uid, { uid: u.uid, owned: u.nkeys, byType: {}, byClass: {}, secrets: 0 });
  if (byUid.size === 0) return [];
  for (const k of trusted) {
    const p = byUid.get(k.uid);
    if (p === undefined) continue;
    // The user and user-session keyrings stay after every logout (.user_reg keeps them since Linux 5.3): they are
    // the kernel's, and left nothing behind unless they hold keys, which are counted themselves.
    if (k.class === 'user' || k.class === 'user_session') {
      p.owned--;
      continue;
    }
    p.byType[k.type.name] = (p.byType[k.type.name] ?? 0) + 1;
    p.byClass[k.class] = (p.byClass[k.class] ?? 0) + 1;
    if (SECRET_TYPES.has(k.type.name)) p.secrets++;
  }
  return [...byUid.values()].filter((p) => p.owned > 0);
}
