/**
 * The inventory: every key /proc/keys listed, classified (keyring-class.ts), given a state (key-state.ts) and
 * judged (key-trust.ts), with the quota records, the limits and a summary. Pure; one pass over the records.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord } from '../parser/key-record.js';
import type { ProcKeysFormat, UnconfirmedRecord } from '../parser/proc-keys.js';
import type { KeysLimits } from '../parser/keys-sysctl.js';
import type { ParseIssue } from '../parser/parse-issue.js';
import type { RawProcFilesStatus, ReadCoverage, Snapshot } from '../parser/snapshot.js';
import { classifyKey, KEY_CLASSES, type KeyClass, type KeyClassification } from './keyring-class.js';
import { classifyKeyState, KEY_STATES, type KeyState } from './key-state.js';
import { assessTrust, NOT_SUSPECT, type SuspectReason } from './key-trust.js';

export interface InventoryKey extends KeyRecord, KeyClassification {
  state: KeyState;
  /** A reserved name (`_uid.N`, `_persistent.N`, ...) on a keyring the kernel did not create as such. */
  impostor: boolean;
  /** Empty when the record can be trusted as printed. */
  suspect: SuspectReason[];
}

export interface InventorySummary {
  /** Trusted keys only (suspect records are not counted). */
  keys: number;
  suspect: number;
  byClass: Record<KeyClass, number>;
  byState: Record<KeyState, number>;
  /** By full type name. */
  byType: Record<string, number>;
}

export interface Inventory {
  now: number;
  files: RawProcFilesStatus;
  keysFormat: ProcKeysFormat | null;
  /** Every record, suspect ones too, in file order. */
  keys: InventoryKey[];
  /** Keys that are not suspect: what metrics count and checks about keys look at. */
  trusted: InventoryKey[];
  /** Records the kernel did not confirm (vanished or changed after the read). */
  unconfirmed: UnconfirmedRecord[];
  /** Where the kernel's confirmations came from; null when the records were read from text alone. */
  confirmedBy: Snapshot['confirmedBy'];
  answersError?: string;
  users: KeyUserRecord[] | null;
  /** Uids whose /proc/key-users line changed while /proc/keys was read: their totals were not checked. */
  unstableUids: number[];
  limits: KeysLimits;
  summary: InventorySummary;
  issues: ParseIssue[];
  issueCounts: Snapshot['issueCounts'];
  /** Listed keys (suspect ones too) by owner uid. */
  visibleByUid: Map<number, number>;
  /** Whose reads of /proc/keys were merged (--view all-users); null: the reading process's own. */
  coverage: ReadCoverage | null;
}

/** Names the kernel reserves for keyrings it creates itself (an impostor is a keyring using one without being one). */
const RESERVED_CLASSES: ReadonlySet<KeyClass> = new Set(['user', 'user_session', 'persistent', 'persistent_register', 'request_key']);

/**
 * request_key.c construct_key() makes `_req.<serial>` for the requester while /sbin/request-key builds the key of
 * that serial, owned by the same uid: a `_req.N` keyring without such a key under construction is not one.
 */
function requestKeyringWithoutTarget(k: KeyRecord, c: KeyClassification, building: ReadonlySet<string>): boolean {
  return c.class === 'request_key' && !building.has(`${k.uid}:${k.description.slice('_req.'.length)}`);
}

/** The inventory of a snapshot, which it takes over: its records become the inventory's keys. */
export function buildInventory(snapshot: Snapshot): Inventory {
  const building = new Set(snapshot.keys.filter((r) => !r.flags.instantiated || r.flags.underConstruction).map((r) => `${r.uid}:${r.serialNumber}`));
  // The snapshot's records become the inventory's keys: their classification is written into them, not copied
  // with them (the inventory owns its snapshot).
  const options = { overflowGid: snapshot.overflowGid };
  const classified = snapshot.keys.map((r): InventoryKey => {
    const c = classifyKey(r, options);
    const cls = requestKeyringWithoutTarget(r, c, building) ? 'keyring' : c.class;
    const k = r as InventoryKey;
    k.class = cls;
    k.claimedClass = c.claimedClass;
    k.nameUid = c.nameUid;
    k.state = classifyKeyState(r);
    k.impostor = cls !== c.claimedClass && RESERVED_CLASSES.has(c.claimedClass);
    k.suspect = NOT_SUSPECT;
    return k;
  });
  const keys: InventoryKey[] = assessTrust(classified, snapshot.users, snapshot.unstableUids);
  const trusted = keys.filter((k) => k.suspect.length === 0);
  const visibleByUid = new Map<number, number>();
  for (const k of keys) visibleByUid.set(k.uid, (visibleByUid.get(k.uid) ?? 0) + 1);
  return {
    now: snapshot.now,
    files: snapshot.files,
    keysFormat: snapshot.keysFormat,
    keys,
    trusted,
    unconfirmed: snapshot.unconfirmed,
    confirmedBy: snapshot.confirmedBy,
    ...(snapshot.answersError !== undefined ? { answersError: snapshot.answersError } : {}),
    users: snapshot.users,
    unstableUids: snapshot.unstableUids,
    limits: snapshot.limits,
    summary: summarize(keys, trusted),
    issues: snapshot.issues,
    issueCounts: snapshot.issueCounts,
    visibleByUid,
    coverage: snapshot.coverage ?? null,
  };
}

/**
 * How much of what /proc/key-users counts the reader saw: listed keys against owned keys (without the 2 keys
 * the kernel's static key_user for global root always counts, process_keys.c). Null without /proc/key-users.
 */
export function keyCoverage(inv: Pick<Inventory, 'users' | 'keys'>): { seen: number; owned: number } | null {
  if (inv.users === null) return null;
  const owned = inv.users.reduce((n, u) => n + (u.uid === 0 ? Math.max(0, u.nkeys - 2) : u.nkeys), 0);
  return { seen: inv.keys.length, owned };
}

export function summarize(keys: readonly InventoryKey[], trusted: readonly InventoryKey[]): InventorySummary {
  const byClass = Object.fromEntries(KEY_CLASSES.map((c) => [c, 0])) as Record<KeyClass, number>;
  const byState = Object.fromEntries(KEY_STATES.map((s) => [s, 0])) as Record<KeyState, number>;
  const byType: Record<string, number> = {};
  for (const k of trusted) {
    byClass[k.class]++;
    byState[k.state]++;
    byType[k.type.name] = (byType[k.type.name] ?? 0) + 1;
  }
  return { keys: trusted.length, suspect: keys.length - trusted.length, byClass, byState, byType };
}

/** Keys counted by owner uid. */
export function countByUid(keys: Iterable<InventoryKey>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const k of keys) counts.set(k.uid, (counts.get(k.uid) ?? 0) + 1);
  return counts;
}
