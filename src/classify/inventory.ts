/**
 * The inventory: every visible key decoded, classified and assessed, with the quota records, the limits and
 * a summary. Pure; the one structure the `keys` command, the audit and the collectors read.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord, ProcKeysFormat } from '../parser/proc-keys.js';
import type { KeysLimits } from '../parser/keys-sysctl.js';
import type { ParseIssue } from '../parser/parse-issue.js';
import type { RawProcFilesStatus, Snapshot } from '../parser/snapshot.js';
import { classifyKey, KEY_CLASSES, type KeyClass, type KeyClassification } from './keyring-class.js';
import { classifyKeyState, KEY_STATES, type KeyState } from './key-state.js';
import { assessTrust, type SuspectReason } from './key-trust.js';

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
  keys: InventoryKey[];
  users: KeyUserRecord[] | null;
  /** Uids whose /proc/key-users line changed while /proc/keys was read: their totals were not checked. */
  unstableUids: number[];
  limits: KeysLimits;
  summary: InventorySummary;
  issues: ParseIssue[];
}

/** Names the kernel reserves for keyrings it creates itself (an impostor is a keyring using one without being one). */
const RESERVED_CLASSES: ReadonlySet<KeyClass> = new Set(['user', 'user_session', 'persistent', 'persistent_register', 'request_key']);
// Shared by every trusted key; frozen so that nothing can push onto it (the trust pass replaces it instead).
const NO_SUSPECT = Object.freeze([]) as unknown as SuspectReason[];

/**
 * Classify and assess a snapshot. It takes ownership of `snapshot.keys`: the records become the inventory's
 * keys in place, so a snapshot feeds one inventory.
 */
export function buildInventory(snapshot: Snapshot): Inventory {
  const options = { overflowGid: snapshot.overflowGid };
  // The parser's records are fresh objects that nothing else holds: each becomes its inventory key in place
  // (this runs for every key on every scrape; copying 100,000 records costs more than classifying them).
  const toKey = (r: KeyRecord): InventoryKey => {
    const c = classifyKey(r, options);
    const k = r as InventoryKey;
    k.class = c.class;
    k.claimedClass = c.claimedClass;
    k.nameUid = c.nameUid;
    k.state = classifyKeyState(r);
    k.impostor = RESERVED_CLASSES.has(c.claimedClass) && c.class !== c.claimedClass;
    k.suspect = NO_SUSPECT;
    return k;
  };
  const keys = assessTrust(snapshot.keys.map(toKey), snapshot.users, toKey, snapshot.unstableUids);
  return {
    now: snapshot.now,
    files: snapshot.files,
    keysFormat: snapshot.keysFormat,
    keys,
    users: snapshot.users,
    unstableUids: snapshot.unstableUids,
    limits: snapshot.limits,
    summary: summarize(keys),
    issues: snapshot.issues,
  };
}

export function summarize(keys: InventoryKey[]): InventorySummary {
  const byClass = Object.fromEntries(KEY_CLASSES.map((c) => [c, 0])) as Record<KeyClass, number>;
  const byState = Object.fromEntries(KEY_STATES.map((s) => [s, 0])) as Record<KeyState, number>;
  const byType: Record<string, number> = {};
  let trusted = 0;
  let suspect = 0;
  for (const k of keys) {
    if (k.suspect.length > 0) {
      suspect++;
      continue;
    }
    trusted++;
    byClass[k.class]++;
    byState[k.state]++;
    byType[k.type.name] = (byType[k.type.name] ?? 0) + 1;
  }
  return { keys: trusted, suspect, byClass, byState, byType };
}
