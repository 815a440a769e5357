/**
 * The inventory: every key /proc/keys listed, classified (keyring-class.ts), given a state (key-state.ts) and
 * judged (key-trust.ts), with the quota records, the limits and a summary. Pure; one pass over the records
 * (record-pass.ts), which a serving exporter makes as the records are parsed.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord } from '../parser/key-record.js';
import type { ProcKeysFormat, UnconfirmedRecord } from '../parser/proc-keys.js';
import type { KeysLimits } from '../parser/keys-sysctl.js';
import type { ParseIssue } from '../parser/parse-issue.js';
import { DEFAULT_OVERFLOW_GID, type RawProcFilesStatus, type ReadCoverage, type Snapshot } from '../parser/snapshot.js';
import { KEY_CLASSES, type KeyClass, type KeyClassification } from './keyring-class.js';
import { KEY_STATES, type KeyState } from './key-state.js';
import { assessTrust, type SuspectReason } from './key-trust.js';
import { groupKeys, recordPass, type KeyGroups, type RecordPass } from './record-pass.js';
import { buildTrustStore, type TrustStore } from './trust-store.js';
import { upcallCaches, type UpcallCache } from './upcall-cache.js';
import { kerberosHoldings, type KerberosHoldings } from './kerberos.js';
import { processlessUids, type ProcesslessUid } from './processless.js';

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
  /** The trusted keys by class, by state (each in file order) and by type. */
  trustedGroups: KeyGroups;
  /**
   * In file order, the records the audit looks at more closely: record-like lines in the description, an
   * impostor's name, a perm that gives group or other read, write, link or setattr, a disk secret root holds
   * (record-pass.ts isDiskSecret), a suspect record.
   */
  notable: InventoryKey[];
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
  /** The kernel's keyrings of certificates and what they hold (trust-store.ts). */
  trustStore: TrustStore;
  /** The kernel's caches of upcall answers, one per type (upcall-cache.ts). */
  upcall: UpcallCache[];
  /** Kerberos credential caches by owner (kerberos.ts). */
  kerberos: KerberosHoldings[];
  /** Uids that own keys and run no process, with their keys the read showed (processless.ts); null where processes were not seen. */
  processless: ProcesslessUid[] | null;
}

/** Builds the inventory of one read, given its records as the parse makes them, or all at once. */
export interface InventoryBuilder {
  /**
   * A record of the read, in file order, and the array the parse appends it to (proc-keys.ts RecordSink):
   * classified at once (record-pass.ts).
   */
  add(r: KeyRecord, records: readonly KeyRecord[]): void;
  /** The inventory of the read's snapshot; records it holds that were not added (or not as added) are passed now. */
  build(snapshot: Snapshot): Inventory;
}

export function inventoryBuilder(): InventoryBuilder {
  let pass: RecordPass | null = null;
  /** The array the records added were appended to. */
  let source: readonly KeyRecord[] | null = null;
  return {
    add(r: KeyRecord, records: readonly KeyRecord[]): void {
      if (source !== records) {
        // Records of another array than the ones before: a new pass (the snapshot's records are passed again).
        pass = null;
        source = records;
      }
      // The overflow gid of the host: /proc/sys/kernel/overflowgid, read with the snapshot, rarely anything else.
      (pass ??= recordPass(DEFAULT_OVERFLOW_GID)).add(r);
    },
    build(snapshot: Snapshot): Inventory {
      const given = pass;
      // The parse only appends: the same array, as long as the records passed, holds exactly those records.
      const same = given !== null && given.overflowGid === snapshot.overflowGid && source === snapshot.keys && given.count === snapshot.keys.length;
      const p = same ? given : recordPass(snapshot.overflowGid);
      if (!same) for (const r of snapshot.keys) p.add(r);
      pass = null;
      source = null;
      p.finish(snapshot.keys);
      return fromPass(snapshot, p);
    },
  };
}

/** The inventory of a snapshot, which it takes over: its records become the inventory's keys, classified in place. */
export function buildInventory(snapshot: Snapshot): Inventory {
  return inventoryBuilder().build(snapshot);
}

function fromPass(snapshot: Snapshot, pass: RecordPass): Inventory {
  const all = pass.keys;
  const keys: InventoryKey[] = assessTrust(all, snapshot.users, snapshot.unstableUids, pass);
  // Only records read from text alone are ever suspect (key-trust.ts), and only they are folded.
  const clean = pass.textRead.length === 0;
  const trusted = clean ? keys : keys.filter((k) => k.suspect.length === 0);
  const groups = clean ? pass.groups : groupKeys(trusted);
  return {
    now: snapshot.now,
    files: snapshot.files,
    keysFormat: snapshot.keysFormat,
    keys,
    trusted,
    trustedGroups: groups,
    notable: clean ? pass.notable : notableOrSuspect(keys, pass.notable),
    unconfirmed: snapshot.unconfirmed,
    confirmedBy: snapshot.confirmedBy,
    ...(snapshot.answersError !== undefined ? { answersError: snapshot.answersError } : {}),
    users: snapshot.users,
    unstableUids: snapshot.unstableUids,
    limits: snapshot.limits,
    summary: summaryOf(groups, keys.length),
    issues: snapshot.issues,
    issueCounts: snapshot.issueCounts,
    visibleByUid: keys === all ? pass.visibleByUid : countByUid(keys),
    coverage: snapshot.coverage ?? null,
    trustStore: buildTrustStore(snapshot),
    upcall: upcallCaches(trusted, groups),
    processless: snapshot.processlessUids === undefined ? null : processlessUids(snapshot.processlessUids, snapshot.users, trusted),
    kerberos: kerberosHoldings(clean ? pass.kerberos : pass.kerberos.filter((k) => k.suspect.length === 0)),
  };
}

function notableOrSuspect(keys: InventoryKey[], notable: InventoryKey[]): InventoryKey[] {
  const set = new Set(notable);
  return keys.filter((k) => k.suspect.length > 0 || set.has(k));
}

function summaryOf(g: KeyGroups, listed: number): InventorySummary {
  const byClass = Object.fromEntries(KEY_CLASSES.map((c) => [c, 0])) as Record<KeyClass, number>;
  const byState = Object.fromEntries(KEY_STATES.map((s) => [s, 0])) as Record<KeyState, number>;
  const byType: Record<string, number> = {};
  let keys = 0;
  for (const [type, byClassCounts] of g.counts)
    for (const [cls, byStateCounts] of byClassCounts)
      for (const [state, n] of byStateCounts) {
        byType[type.name] = (byType[type.name] ?? 0) + n;
        byClass[cls] += n;
        byState[state] += n;
        keys += n;
      }
  return { keys, suspect: listed - keys, byClass, byState, byType };
}

/**
 * How much of what /proc/key-users counts the reader saw: listed keys against owned keys (without the 2 keys
 * the kernel's static key_user for global root always counts, process_keys.c). Null without /proc/key-users.
 */
export function keyCoverage(inv: Pick<Inventory, 'users' | 'keys'>): { seen: number; owned: number } | null {
  if (inv.users === null) return null;
  const owned = inv.users.reduce((n, u) => n + ownedKeys(u), 0);
  return { seen: inv.keys.length, owned };
}

/** The kernel's static key_user for global root starts with 2 keys that never existed (process_keys.c). */
const ROOT_PHANTOM_KEYS = 2;

/** The keys a uid owns, as /proc/key-users counts them, without root's 2 that never existed. */
export function ownedKeys(u: Pick<KeyUserRecord, 'uid' | 'nkeys'>): number {
  return u.uid === 0 ? Math.max(0, u.nkeys - ROOT_PHANTOM_KEYS) : u.nkeys;
}

/** Keys counted by owner uid. */
export function countByUid(keys: Iterable<InventoryKey>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const k of keys) counts.set(k.uid, (counts.get(k.uid) ?? 0) + 1);
  return counts;
}
