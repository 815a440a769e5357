/**
 * The one pass over a read's records that the inventory makes (inventory.ts): each record classified in place
 * and sorted out for the trust checks, the summary and the audit. A serving exporter makes it while /proc/keys
 * is still being read (server/scraper.ts), record by record as the parse makes them.
 */
import type { KeyRecord } from '../parser/key-record.js';
import type { InventoryKey } from './inventory.js';
import { classifyKey, type KeyClass } from './keyring-class.js';
import { classifyKeyState, type KeyState } from './key-state.js';
import { isSingletonClass, NOT_SUSPECT } from './key-trust.js';
import { isKerberosKey } from './kerberos.js';

/** Names the kernel reserves for keyrings it creates itself (an impostor is a keyring using one without being one). */
const RESERVED_CLASSES: ReadonlySet<KeyClass> = new Set(['user', 'user_session', 'persistent', 'persistent_register', 'request_key']);

/**
 * Read, write, link or setattr for the key's group or for every user (include/linux/key.h KEY_GRP_READ ...
 * KEY_OTH_SETATTR): more than view and search for users who are neither possessor nor owner. The bits
 * key-permissions.ts decodes as the group and other PermissionSets' read, write, link and setattr.
 */
export const GROUP_OR_OTHER_RIGHTS = 0x3636;

/**
 * A disk secret root holds: the passphrase systemd's ask-password caches as root's `user` key "cryptsetup"
 * (src/shared/ask-password-api.c, for 2.5 minutes), or a volume key cryptsetup loads for dm-crypt as a `logon` key
 * "cryptsetup:<UUID>-d<N>" and unlinks once the device is active (lib/utils_keyring.c). The audit looks at each.
 */
export function isDiskSecret(k: Pick<KeyRecord, 'uid' | 'type' | 'description'>): boolean {
  if (k.uid !== 0 || k.description.charCodeAt(0) !== 0x63) return false;
  return (k.type.name === 'user' && k.description === 'cryptsetup') || (k.type.name === 'logon' && k.description.startsWith('cryptsetup:'));
}

/** Classified with an overflow gid: what a record read again keeps (the memo of a serving exporter reuses records). */
type Classified = InventoryKey & { classifiedWith?: number };

/**
 * Classify a record in place. What a record shows never changes (a key whose line changed is a new record), so a
 * record classified before with the same overflow gid keeps its class; a `_req.N` keyring's depends on the other
 * records (RecordPass.finish), and is made again each time.
 */
function classifyInPlace(k: Classified, overflowGid: number): void {
  if (k.classifiedWith === overflowGid && k.claimedClass !== 'request_key') return;
  const c = classifyKey(k, { overflowGid });
  k.class = c.class;
  k.claimedClass = c.claimedClass;
  k.nameUid = c.nameUid;
  k.state = classifyKeyState(k);
  k.impostor = c.class !== c.claimedClass && RESERVED_CLASSES.has(c.claimedClass);
  k.classifiedWith = overflowGid;
}

/**
 * The classes and states whose keys a check or a collector looks at one by one. Keys of the others are only
 * counted: at 100,000 keys a list of every key of a class is an array the size of the file, made again each scrape.
 */
export const LISTED_CLASSES = ['session', 'persistent'] as const satisfies readonly KeyClass[];
export const LISTED_STATES = ['negative', 'under_construction', 'revoked', 'expired', 'invalidated', 'dead'] as const satisfies readonly KeyState[];
export type ListedClass = (typeof LISTED_CLASSES)[number];
export type ListedState = (typeof LISTED_STATES)[number];

/** The keys of the listed classes and states (each in file order), and every key counted by type, class and state. */
export interface KeyGroups {
  byClass: Record<ListedClass, InventoryKey[]>;
  byState: Record<ListedState, InventoryKey[]>;
  /** By decoded type (one shared object per type column and name), class and state. */
  counts: Map<KeyRecord['type'], Map<KeyClass, Map<KeyState, number>>>;
}

export function groupKeys(keys: Iterable<InventoryKey>): KeyGroups {
  const g: KeyGroups = {
    byClass: Object.fromEntries(LISTED_CLASSES.map((c) => [c, []])) as unknown as Record<ListedClass, InventoryKey[]>,
    byState: Object.fromEntries(LISTED_STATES.map((c) => [c, []])) as unknown as Record<ListedState, InventoryKey[]>,
    counts: new Map(),
  };
  for (const k of keys) addToGroups(g, k);
  return g;
}

function addToGroups(g: KeyGroups, k: InventoryKey): void {
  (g.byClass as Partial<Record<KeyClass, InventoryKey[]>>)[k.class]?.push(k);
  (g.byState as Partial<Record<KeyState, InventoryKey[]>>)[k.state]?.push(k);
  let byClass = g.counts.get(k.type);
  if (byClass === undefined) g.counts.set(k.type, (byClass = new Map()));
  let byState = byClass.get(k.class);
  if (byState === undefined) byClass.set(k.class, (byState = new Map()));
  byState.set(k.state, (byState.get(k.state) ?? 0) + 1);
}

export interface RecordPass {
  readonly overflowGid: number;
  /** The records passed, in the order given: the array finish() was given. */
  readonly keys: InventoryKey[];
  /** The records the kernel did not describe (read from text alone, or dead keys'). */
  readonly textRead: InventoryKey[];
  /** The records of the classes the kernel keeps one of per owner. */
  readonly singletonClassed: InventoryKey[];
  /** Every record by class, state and type (trusted ones, when none is read from text alone). */
  readonly groups: KeyGroups;
  /** Records the audit looks at more closely: record-like lines in the description, impostors, perms open to others. */
  readonly notable: InventoryKey[];
  /** Listed keys by owner uid. */
  readonly visibleByUid: Map<number, number>;
  /** The keys of Kerberos caches (kerberos.ts), in file order. */
  readonly kerberos: InventoryKey[];
  /** Records passed so far. */
  readonly count: number;
  add(r: KeyRecord): void;
  /**
   * Once every record was added: `keys` holds them, in the order they were added. `_req.N` keyrings without their
   * key under construction are impostors; the records are grouped.
   */
  finish(keys: readonly KeyRecord[]): void;
}

export function recordPass(overflowGid: number): RecordPass {
  /** `uid:serial` of the keys under construction: a `_req.N` keyring is one only while its key is. */
  const building = new Set<string>();
  const requestKeyrings: InventoryKey[] = [];
  const pass = {
    overflowGid,
    keys: [] as InventoryKey[],
    textRead: [] as InventoryKey[],
    singletonClassed: [] as InventoryKey[],
    groups: groupKeys([]),
    notable: [] as InventoryKey[],
    visibleByUid: new Map<number, number>(),
    kerberos: [] as InventoryKey[],
    count: 0,
    add(r: KeyRecord): void {
      const k = r as Classified;
      classifyInPlace(k, overflowGid);
      k.suspect = NOT_SUSPECT;
      pass.count++;
      if (!k.flags.instantiated || k.flags.underConstruction) building.add(`${k.uid}:${k.serialNumber}`);
      if (k.class === 'request_key') requestKeyrings.push(k);
      if (k.confirmation !== 'described') pass.textRead.push(k);
      if (isSingletonClass(k.class)) pass.singletonClassed.push(k);
      if (k.impostor || k.embeddedRecordLines.length > 0 || (k.perm.mask & GROUP_OR_OTHER_RIGHTS) !== 0 || isDiskSecret(k)) pass.notable.push(k);
      if (isKerberosKey(k)) pass.kerberos.push(k);
      addToGroups(pass.groups, k);
      pass.visibleByUid.set(k.uid, (pass.visibleByUid.get(k.uid) ?? 0) + 1);
    },
    finish(keys: readonly KeyRecord[]): void {
      pass.keys = keys as InventoryKey[];
      let changed = false;
      for (const k of requestKeyrings) {
        if (building.has(`${k.uid}:${k.description.slice('_req.'.length)}`)) continue;
        k.class = 'keyring';
        k.impostor = true;
        changed = true;
      }
      if (!changed) return;
      pass.groups = groupKeys(pass.keys);
      pass.notable = pass.keys.filter((k) => k.impostor || k.embeddedRecordLines.length > 0 || (k.perm.mask & GROUP_OR_OTHER_RIGHTS) !== 0 || isDiskSecret(k));
    },
  };
  return pass;
}
