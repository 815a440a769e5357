/**
 * The inventory: every visible key decoded, classified and assessed, with the quota records, the limits and
 * a summary. Pure. Classes, states and suspect reasons are kept by table row (src/parser/key-table.ts), so a
 * scrape never makes an object per key; `keys` makes them the first time something reads it.
 */
import type { KeyUserRecord } from '../parser/proc-key-users.js';
import type { KeyRecord } from '../parser/key-record.js';
import * as keyTable from '../parser/key-table.js';
import { EMPTY_KEY_TABLE, type KeyTable } from '../parser/key-table.js';
import { decodeKeyFlags } from '../parser/key-flags.js';
import type { ProcKeysFormat } from '../parser/proc-keys.js';
import type { KeysLimits } from '../parser/keys-sysctl.js';
import type { ParseIssue } from '../parser/parse-issue.js';
import { buildSnapshot, type RawProcFiles, type RawProcFilesStatus, type Snapshot } from '../parser/snapshot.js';
import { KEYS_SYSCTLS } from '../parser/keys-sysctl.js';
import { CLAIM_KEYRING, CLAIM_SESSION, claimFromName, classIndexOfKeyring, KEY_CLASSES, type KeyClass, type KeyClassification, type NameClaim } from './keyring-class.js';
import { classifyKeyState, KEY_STATES, type KeyState } from './key-state.js';
import { addRowOf, assessTrust, newTally, SINGLETON_CLASSES as SINGLETONS, type CountedRows, type SuspectReason, type Tally } from './key-trust.js';

// Module-local copies of the row layout's and flags' constants: optimised code folds a module's own constants into its
// instructions, but loads an imported binding from its module at every use (a loop storing 14 words a row at
// imported offsets ran 3 times slower than at local ones, measured: docs/benchmarks.md, session 10).
const { ROW_WORDS, W_BITS, W_CHARGE, W_EXPIRY, W_PERM, W_UID, WIDE, FLAG_BITS_SHIFT, BIT_COMPLETE, BIT_CHARGE_EXACT, FLAG_I, FLAG_Q } = keyTable;
const SINGLETON_CLASSES = SINGLETONS;

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

/** Classification of every row of the table, by column. */
export interface InventoryRows {
  table: KeyTable;
  /** Live rows in file order (a forged line folded into its carrier is not a row). */
  rows: Uint32Array;
  /** Indexes into KEY_CLASSES, KEY_STATES, by table row. */
  classes: Uint8Array;
  claimedClasses: Uint8Array;
  states: Uint8Array;
  /** The uid in `_uid.N`-style names, by table row; a row whose name has none is absent. */
  nameUids: ReadonlyMap<number, number>;
  suspect: Map<number, SuspectReason[]>;
  /** Rows picked out as they were classified; undefined when a fold has reclassified a row since. */
  index?: RowIndex;
}

/**
 * Rows the collectors and the audit look for, picked out by the classifier as it classified them, while the
 * file was read (RowClassifier), so that they need not go over every row after it: each such pass, run cold
 * after the collection that follows a large read, cost milliseconds at 100,000 keys. Every row of the table is
 * in it, suspect ones too, in file order.
 */
export interface RowIndex {
  /** The rows of each class (KEY_CLASSES index), but `key`, which nothing asks for: empty. */
  byClass: number[][];
  /** The rows in each state (KEY_STATES index), but `instantiated`: empty. */
  byState: number[][];
  /** Rows whose perm gives group or other read, write, link or setattr (0x3636). */
  groupOtherRights: number[];
  /** Rows without flag I: under construction, or negative. */
  uninstantiated: number[];
  /** Rows whose class is not the one their name claims: the impostor candidates. */
  renamed: number[];
  /**
   * Rows by type, class and state: `types` in order of first row; `joint[(t * KEY_CLASSES.length + class) *
   * KEY_STATES.length + state]` the rows of `types[t]` in that class and state; `cells` those indexes in order of
   * first row.
   */
  types: KeyRecord['type'][];
  joint: Int32Array;
  cells: number[];
}

/** Group and other read, write, link and setattr (include/linux/key.h KEY_GRP_READ ... KEY_OTH_SETATTR). */
export const GROUP_OR_OTHER_RIGHTS = 0x3636;
const NC = KEY_CLASSES.length;
const UID_SLOTS = 256;
/** Rows classified per call of classifyRange (RowClassifier.classify says why). */
const CLASSIFY_CHUNK = 1024;
const NS = KEY_STATES.length;

function emptyIndex(): RowIndex {
  return {
    byClass: KEY_CLASSES.map(() => []),
    byState: KEY_STATES.map(() => []),
    groupOtherRights: [],
    uninstantiated: [],
    renamed: [],
    types: [],
    joint: new Int32Array(8 * NC * NS),
    cells: [],
  };
}

export interface Inventory {
  now: number;
  files: RawProcFilesStatus;
  keysFormat: ProcKeysFormat | null;
  /** Every key as an object (made on first read). */
  readonly keys: InventoryKey[];
  /** The same, by column (what the collectors read). */
  byRow: InventoryRows;
  users: KeyUserRecord[] | null;
  /** Uids whose /proc/key-users line changed while /proc/keys was read: their totals were not checked. */
  unstableUids: number[];
  limits: KeysLimits;
  summary: InventorySummary;
  issues: ParseIssue[];
  /** Listed keys (every row, suspect ones too) by owner uid: keyring_user_visible_keys, and the audit's coverage per uid (made on first read). */
  readonly visibleByUid: Map<number, number>;
}

/** Names the kernel reserves for keyrings it creates itself (an impostor is a keyring using one without being one). */
const RESERVED_CLASSES: ReadonlySet<KeyClass> = new Set(['user', 'user_session', 'persistent', 'persistent_register', 'request_key']);
const KEY_INDEX = KEY_CLASSES.indexOf('key');
const INSTANTIATED_INDEX = KEY_STATES.indexOf('instantiated');
const STATE_INDEX = new Map<KeyState, number>(KEY_STATES.map((s, i) => [s, i]));
const NO_SUSPECT = Object.freeze([]) as unknown as SuspectReason[];

/**
 * The state of a key depends only on its flags and on whether its expiry reads `expd`, so every state is
 * computed once here, by FlagsInfo.bits * 2 + expd, with classifyKeyState() itself.
 */
const STATE_BY_BITS: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let bits = 0; bits < 128; bits++) {
    let raw = '';
    for (let j = 0; j < 7; j++) raw += bits & (1 << j) ? 'IRDQUNi'[j] : '-';
    const flags = decodeKeyFlags(raw) as KeyRecord['flags'];
    for (const expd of [0, 1])
      table[bits * 2 + expd] = STATE_INDEX.get(classifyKeyState({ flags, expiry: { kind: expd === 1 ? 'expd' : 'perm' } as KeyRecord['expiry'] })) as number;
  }
  return table;
})();

/**
 * claimFromName() of a keyring row's description, read from the file's bytes when it is a name that claims
 * nothing or the session's `_ses` / `_ses.<name>` (almost every keyring on a busy host): the string is made
 * only for the other names starting with "_" or ".". Making it for every keyring cost 37,500 strings per read
 * of the 100,000-key benchmark, each a native call now that there is no latin1 copy of the file to slice
 * (procfs/read-proc-files.ts), and a result object per keyring (2.75 MB per read, measured).
 */
function claimOfRow(table: KeyTable, i: number): NameClaim {
  if (table.override.size === 0 || !table.override.has(i)) {
    const b = table.source.bytes;
    const s = table.textStartAt(i);
    const n = table.descEndAt(i) - s;
    const c0 = n === 0 ? -1 : (b[s] as number);
    if (c0 !== 0x5f && c0 !== 0x2e) return CLAIM_KEYRING;
    // "_ses", or "_ses." and a name
    if (n >= 4 && c0 === 0x5f && b[s + 1] === 0x73 && b[s + 2] === 0x65 && b[s + 3] === 0x73 && (n === 4 || b[s + 4] === 0x2e)) return CLAIM_SESSION;
  }
  return claimFromName(table.description(i));
}

/**
 * The classification of a table's rows, by column: made row by row as the parser emits them, so that a large
 * /proc/keys is classified while the reader thread is still reading it (server/scraper.ts), then finished and
 * assessed by buildInventory. A class, for the reason parser/proc-keys.ts gives for its parser.
 */
export class RowClassifier {
  /** The table classified, null before the first row. */
  private table: KeyTable | null = null;
  /** Rows [0, done) are classified. */
  private done = 0;
  classes: Uint8Array = new Uint8Array(0);
  claimedClasses: Uint8Array = new Uint8Array(0);
  states: Uint8Array = new Uint8Array(0);
  /**
   * The uid in `_uid.N`-style names, by row; rows without one are absent. A map: a few keyrings per user have
   * one, and a column of 8 bytes a row was 1.4 MB per read at 100,000 keys, NaN written for every other row.
   */
  nameUids = new Map<number, number>();
  /**
   * Counted as each row is classified, for what would otherwise go over every row again after the read
   * (key-trust.ts CountedRows; the summary): at 100,000 keys, each such pass cost milliseconds of the scrape.
   */
  counted: CountedRows = { rows: new Uint32Array(0), totals: new Map(), special: [] };
  /** The decoded types, in order of first row (RowIndex.types). */
  typeObjects: KeyRecord['type'][] = [];
  index: RowIndex = emptyIndex();
  private lastType = -1;
  // Owners' tallies by a slot of the uid's low bits, looked up before the map: a host has a few hundred owners,
  // and a Map lookup per row cost a millisecond at 100,000 keys (--cpu-prof).
  private readonly slotUid = new Float64Array(UID_SLOTS).fill(Number.NaN);
  private readonly slotTally: Tally[] = new Array<Tally>(UID_SLOTS).fill(newTally());

  /** `overflowGid`: what an invalid gid prints as (the snapshot says; buildInventory starts over if it differs). */
  constructor(public overflowGid = 65534) {}

  /** Classify the rows the table has gained since the last call (all of them for a new table). */
  classify(table: KeyTable): void {
    if (table !== this.table) this.restart(table);
    const n = table.count;
    if (n > this.classes.length) this.grow(Math.max(n, table.capacity));
    if (n > this.counted.rows.length) {
      const rows = new Uint32Array(Math.max(n, table.capacity));
      rows.set(this.counted.rows.subarray(0, this.done));
      this.counted.rows = rows;
    }
    // In chunks: a loop over 100,000 rows run once per read is compiled on stack replacement (OSR), and a full
    // collection, which the exporter makes after each large read (procfs/collect-garbage.ts), throws that code
    // away: every read's classification ran unoptimised until it was compiled again, 3 times slower (36 ms
    // against 12 at 100,000 keys, with a collection between runs; --trace-osr showed it compiled on every run).
    // Called once per chunk, the function is optimised as a whole, and keeps its code.
    for (let from = this.done; from < n; from += CLASSIFY_CHUNK) this.classifyRange(table, from, Math.min(n, from + CLASSIFY_CHUNK));
    this.done = n;
  }

  /**
   * Classify and count rows [from, to): what classifyRow() sets, and the counts, in one loop with the columns held
   * in locals. About 10 ms at 100,000 keys, 6-7 of them counting (--cpu-prof, and variants with parts left out;
   * the owners' tallies are the largest part); as two calls per row it cost the same.
   */
  private classifyRange(table: KeyTable, from: number, to: number): void {
    const w = table.words;
    const classes = this.classes;
    const claimed = this.claimedClasses;
    const states = this.states;
    const slotUid = this.slotUid;
    const slotTally = this.slotTally;
    const c = this.counted;
    const idx = this.index;
    const types = this.typeObjects;
    const anyEmbedded = table.embedded.size > 0;
    idx.types = types;
    let k = this.lastType;
    for (let i = from; i < to; i++) {
      const o = i * ROW_WORDS;
      const word = w[o + W_BITS] as number;
      const bits = (word >>> FLAG_BITS_SHIFT) & 0xff;
      const st = STATE_BY_BITS[bits * 2 + (w[o + W_EXPIRY] === 0 ? 1 : 0)] as number;
      states[i] = st;
      const type = table.typeAt(i);
      const mask = (w[o + W_PERM] as number) >>> 0;
      let cls: number;
      if (type.name !== 'keyring') {
        cls = KEY_INDEX;
        classes[i] = claimed[i] = KEY_INDEX;
      } else cls = this.classifyKeyring(table, i, bits, mask);
      // The owner's tally, by the slot of the uid's low byte before the map.
      let uid = w[o + W_UID] as number;
      if (uid === WIDE) uid = table.uidAt(i);
      const slot = uid & (UID_SLOTS - 1);
      let t: Tally;
      if (slotUid[slot] === uid) t = slotTally[slot] as Tally;
      else {
        const known = c.totals.get(uid);
        if (known === undefined) c.totals.set(uid, (t = newTally()));
        else t = known;
        slotUid[slot] = uid;
        slotTally[slot] = t;
      }
      const charge = w[o + W_CHARGE] as number;
      addRowOf(t, bits, charge !== WIDE ? charge : table.chargeAt(i), word & BIT_CHARGE_EXACT, 1);
      // CountedRows.special
      if ((word & BIT_COMPLETE) === 0 || SINGLETON_CLASSES[cls] === 1 || (anyEmbedded && table.embedded.has(i))) c.special.push(i);
      // Runs of one type: the last row's type first, then the others (a host has a handful). The counts by type,
      // class and state are the joint counts' (summary()).
      if (k < 0 || types[k] !== type) {
        for (k = 0; k < types.length && types[k] !== type; k++);
        if (k === types.length) types.push(type);
      }
      // The index (RowIndex).
      if (cls !== KEY_INDEX) (idx.byClass[cls] as number[]).push(i);
      if (st !== INSTANTIATED_INDEX) (idx.byState[st] as number[]).push(i);
      if ((mask & GROUP_OR_OTHER_RIGHTS) !== 0) idx.groupOtherRights.push(i);
      if ((bits & FLAG_I) === 0) idx.uninstantiated.push(i);
      if (cls !== claimed[i]) idx.renamed.push(i);
      const cell = (k * NC + cls) * NS + st;
      if (cell >= idx.joint.length) {
        const grown = new Int32Array(idx.joint.length + 8 * NC * NS);
        grown.set(idx.joint);
        idx.joint = grown;
      }
      if (idx.joint[cell] === 0) idx.cells.push(cell);
      idx.joint[cell] = (idx.joint[cell] as number) + 1;
    }
    this.lastType = k;
    // The rows in file order, in a loop of their own, into an array sized for the table (restart; cut to length
    // by finish). A typed array: pushed row by row, an array was copied as it grew, and made at its size, V8
    // wrote the whole of it at once into fresh pages (400 page faults and about 1 ms per read at 100,000 keys);
    // a typed array's memory comes from malloc, mostly reused.
    const rows = c.rows;
    for (let i = from; i < to; i++) rows[i] = i;
  }

  /** The rows counted, once every row is classified (buildInventory). */
  finish(): CountedRows {
    this.counted.rows = this.counted.rows.subarray(0, this.done);
    return this.counted;
  }

  private restart(table: KeyTable): void {
    this.table = table;
    this.done = 0;
    this.counted = { rows: new Uint32Array(table.capacity), totals: new Map(), special: [] };
    this.typeObjects = [];
    this.slotUid.fill(Number.NaN);
    this.nameUids = new Map();
    this.index = emptyIndex();
    this.lastType = -1;
  }

  /**
   * The summary summarize() makes, from the counts: when no fold changed a row and no row is suspect (then every
   * row counted is a trusted live row, classified once); null otherwise.
   */
  summary(folded: boolean, suspect: number): InventorySummary | null {
    if (folded || suspect > 0) return null;
    const byType: Record<string, number> = {};
    const classCounts = new Array<number>(NC).fill(0);
    const stateCounts = new Array<number>(NS).fill(0);
    const { joint, cells, types } = this.index;
    for (const cell of cells) {
      const n = joint[cell] as number;
      const name = (types[Math.floor(cell / (NC * NS))] as KeyRecord['type']).name;
      byType[name] = (byType[name] ?? 0) + n;
      const cls = Math.floor(cell / NS) % NC;
      classCounts[cls] = (classCounts[cls] as number) + n;
      stateCounts[cell % NS] = (stateCounts[cell % NS] as number) + n;
    }
    return {
      keys: this.done,
      suspect: 0,
      byClass: Object.fromEntries(KEY_CLASSES.map((c, k) => [c, classCounts[k]])) as Record<KeyClass, number>,
      byState: Object.fromEntries(KEY_STATES.map((st, k) => [st, stateCounts[k]])) as Record<KeyState, number>,
      byType,
    };
  }

  /** Classify one row again (a fold changed its description). */
  classifyRow(table: KeyTable, i: number): void {
    const bits = table.flagBitsAt(i);
    this.states[i] = STATE_BY_BITS[bits * 2 + (table.expirySecondsAt(i) === 0 ? 1 : 0)] as number;
    // A row classified before may have had a name uid (classifyKeyring() only sets one).
    this.nameUids.delete(i);
    if (table.typeAt(i).name !== 'keyring') {
      this.classes[i] = this.claimedClasses[i] = KEY_INDEX;
      return;
    }
    this.classifyKeyring(table, i, bits, table.permMaskAt(i));
  }

  /** classifyKey() of a keyring row, without its result object: sets the row's class, claimed class and name uid, and returns the class. */
  private classifyKeyring(table: KeyTable, i: number, bits: number, permMask: number): number {
    const claim = claimOfRow(table, i);
    const cls = classIndexOfKeyring(claim.claimed, (bits & FLAG_Q) !== 0, table.gidAt(i), permMask, this.overflowGid);
    this.classes[i] = cls;
    this.claimedClasses[i] = claim.claimed === 'keyring' ? cls : claim.claimedIndex;
    if (claim.nameUid !== null) this.nameUids.set(i, claim.nameUid);
    return cls;
  }

  /** Forget the table and everything classified (the inventory keeps what it needs): buildInventory is done with it. */
  retire(): void {
    this.restart(EMPTY_KEY_TABLE);
    this.classes = new Uint8Array(0);
    this.claimedClasses = new Uint8Array(0);
    this.states = new Uint8Array(0);
    this.nameUids = new Map();
    this.slotTally.fill(newTally());
  }

  private grow(capacity: number): void {
    const n = this.done;
    const u8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(capacity);
      b.set(a.subarray(0, n));
      return b;
    };
    this.classes = u8(this.classes);
    this.claimedClasses = u8(this.claimedClasses);
    this.states = u8(this.states);
  }
}

/** A classifier kept for its hidden class (parser/key-table.ts EMPTY_KEY_TABLE says why). */
const CLASSIFIER_ANCHOR = new RowClassifier();
CLASSIFIER_ANCHOR.classify(EMPTY_KEY_TABLE);

/**
 * The last classifier an inventory was built with, emptied (RowClassifier.retire), kept until the next one.
 *
 * Measured, not understood: when the collection the exporter makes after each large read freed the last
 * classifier, it deoptimised classifyRange and classifyKeyring ("reason: weak objects", `node --trace-deopt`:
 * 30 to 36 times over 40 reads of the benchmark's 100,000 keys, and on every scrape of a serving exporter), and
 * each read ran them unoptimised until they were compiled again (20 ms of compilation each time). Keeping the
 * last classifier alive prevents it, emptied or not; keeping every object it references, but not the classifier
 * itself, does not; the classifier's hidden class is the anchor's. Emptied, it holds no read's memory.
 */
const LAST: { classifier: RowClassifier } = { classifier: CLASSIFIER_ANCHOR };

/**
 * Classify and assess a snapshot. It takes ownership of `snapshot.keys`: a forged line folded back into its
 * carrier rewrites the carrier's row in the table, so a snapshot feeds one inventory. `classifier` may have
 * classified rows of the table already, as they were read.
 */
export function buildInventory(snapshot: Snapshot, classifier: RowClassifier = new RowClassifier(snapshot.overflowGid)): Inventory {
  const table = snapshot.keys;
  const n = table.count;
  if (classifier.overflowGid !== snapshot.overflowGid) {
    // Classified with a guess that was wrong: start over.
    classifier = new RowClassifier(snapshot.overflowGid);
  }
  classifier.classify(table);
  const c = classifier;
  const classes = c.classes.length === n ? c.classes : c.classes.subarray(0, n);
  const { rows, suspect, totals, folded } = assessTrust({ table, classes, reclassify: (i) => c.classifyRow(table, i) }, snapshot.users, snapshot.unstableUids, c.finish());
  const byRow: InventoryRows = {
    table,
    rows,
    classes,
    claimedClasses: c.claimedClasses.length === n ? c.claimedClasses : c.claimedClasses.subarray(0, n),
    states: c.states.length === n ? c.states : c.states.subarray(0, n),
    nameUids: c.nameUids,
    suspect,
    ...(folded ? {} : { index: c.index }),
  };
  // Listed keys by owner: the tally of the live rows has them (assessTrust keeps it so through a fold, but a fold can
  // move a uid's first row, and with it the order of the map; countRowsByUid is then asked).
  const visibleByUid = folded ? null : new Map([...totals].map(([uid, t]) => [uid, t.visible]));
  const inventory = new BuiltInventory(snapshot, byRow, c.summary(folded, suspect.size) ?? summarize(byRow), visibleByUid);
  c.retire();
  LAST.classifier = c;
  return inventory;
}

/**
 * An inventory whose key objects and per-uid counts are made on first read. A class, not an object literal with
 * getters: each literal's getters are new closures, which gave every read's inventory a hidden class of its
 * own, and every function reading one megamorphic property loads (and, after a full collection, deoptimisation).
 */
class BuiltInventory implements Inventory {
  readonly now: number;
  readonly files: RawProcFilesStatus;
  readonly keysFormat: ProcKeysFormat | null;
  readonly users: KeyUserRecord[] | null;
  readonly unstableUids: number[];
  readonly limits: KeysLimits;
  readonly summary: InventorySummary;
  readonly issues: ParseIssue[];
  private madeKeys: InventoryKey[] | null = null;
  private madeVisibleByUid: Map<number, number> | null = null;

  constructor(
    snapshot: Snapshot,
    readonly byRow: InventoryRows,
    summary: InventorySummary,
    visibleByUid: Map<number, number> | null,
  ) {
    this.now = snapshot.now;
    this.files = snapshot.files;
    this.keysFormat = snapshot.keysFormat;
    this.users = snapshot.users;
    this.unstableUids = snapshot.unstableUids;
    this.limits = snapshot.limits;
    this.summary = summary;
    this.issues = snapshot.issues;
    this.madeVisibleByUid = visibleByUid;
  }

  get keys(): InventoryKey[] {
    this.madeKeys ??= Array.from(this.byRow.rows, (i) => inventoryKey(this.byRow, i));
    return this.madeKeys;
  }

  get visibleByUid(): Map<number, number> {
    this.madeVisibleByUid ??= countRowsByUid(this.byRow);
    return this.madeVisibleByUid;
  }
}

/**
 * An inventory kept alive for the hidden class it holds, as parser/key-table.ts EMPTY_KEY_TABLE does for tables:
 * V8 holds the transitions to a class instance's hidden class weakly, so without a live instance a full
 * collection between reads frees it, and the next read's inventory gets a new one that no optimised code knows.
 */
export const EMPTY_INVENTORY: Inventory = buildInventory(
  buildSnapshot(
    {
      keys: { path: 'keys', status: 'absent' },
      keyUsers: { path: 'key-users', status: 'absent' },
      sysctls: Object.fromEntries(KEYS_SYSCTLS.map((name) => [name, { path: name, status: 'absent' }])) as RawProcFiles['sysctls'],
    },
    0,
  ),
);

/**
 * The given rows (every live row by default) counted by owner uid. A host's keys come in runs of one owner, so
 * a run is counted before the map is touched (a Map update per key cost 2 ms at 100,000 keys, --cpu-prof); an
 * indexed loop, as a for...of over the rows costs ten times as much. Rows, not a predicate: a closure made per
 * read and inlined here was freed by the next full collection, and this function deoptimised with it.
 */
export function countRowsByUid(v: InventoryRows, rows: ArrayLike<number> = v.rows): Map<number, number> {
  const table = v.table;
  const counts = new Map<number, number>();
  let run = 0;
  let runUid = 0;
  for (let k = 0; k < rows.length; k++) {
    const u = table.uidAt(rows[k] as number);
    if (run > 0 && u === runUid) {
      run++;
      continue;
    }
    if (run > 0) counts.set(runUid, (counts.get(runUid) ?? 0) + run);
    runUid = u;
    run = 1;
  }
  if (run > 0) counts.set(runUid, (counts.get(runUid) ?? 0) + run);
  return counts;
}

/** Whether the row's keyring uses a reserved name without being what the kernel creates under it. */
export function isImpostorRow(v: InventoryRows, i: number): boolean {
  // The byte comparison first: it settles almost every row (the class lookup on every row cost 2 ms at 100,000 keys).
  return v.classes[i] !== v.claimedClasses[i] && RESERVED_CLASSES.has(KEY_CLASSES[v.claimedClasses[i] as number] as KeyClass);
}

/** The key of one row as an object: what `keys` holds, made for the rows a finding names. */
export function inventoryKey(v: InventoryRows, i: number): InventoryKey {
  const r = v.table.record(i);
  const cls = KEY_CLASSES[v.classes[i] as number] as KeyClass;
  const claimed = KEY_CLASSES[v.claimedClasses[i] as number] as KeyClass;
  const nameUid = v.nameUids.get(i) ?? null;
  // An explicit literal: spreading `r` takes V8's slow object-clone path (about 7 µs a key, measured).
  return {
    serial: r.serial,
    serialNumber: r.serialNumber,
    flagsRaw: r.flagsRaw,
    flags: r.flags,
    usage: r.usage,
    expiry: r.expiry,
    perm: r.perm,
    uid: r.uid,
    gid: r.gid,
    type: r.type,
    description: r.description,
    summary: r.summary,
    summaryText: r.summaryText,
    line: r.line,
    lineCount: r.lineCount,
    embeddedRecordLines: r.embeddedRecordLines,
    complete: r.complete,
    class: cls,
    claimedClass: claimed,
    nameUid,
    state: KEY_STATES[v.states[i] as number] as KeyState,
    impostor: isImpostorRow(v, i),
    suspect: v.suspect.get(i) ?? NO_SUSPECT,
  };
}

/**
 * How much of what /proc/key-users counts the reader saw: listed keys against owned keys (without the 2 keys
 * the kernel's static key_user for global root always counts, process_keys.c). Null without /proc/key-users.
 */
export function keyCoverage(inv: Pick<Inventory, 'users' | 'byRow'>): { seen: number; owned: number } | null {
  if (inv.users === null) return null;
  const owned = inv.users.reduce((n, u) => n + (u.uid === 0 ? Math.max(0, u.nkeys - 2) : u.nkeys), 0);
  return { seen: inv.byRow.rows.length, owned };
}

export function summarize(v: InventoryRows): InventorySummary {
  const classCounts = new Array<number>(KEY_CLASSES.length).fill(0);
  const stateCounts = new Array<number>(KEY_STATES.length).fill(0);
  // Decoded types are shared objects and a host has a handful: a short list beats a Map lookup per key.
  const typeObjects: KeyRecord['type'][] = [];
  const typeTally: number[] = [];
  const anySuspect = v.suspect.size > 0;
  let trusted = 0;
  // Indexed, not for-of (classify/key-trust.ts tally()).
  for (let r = 0; r < v.rows.length; r++) {
    const i = v.rows[r] as number;
    if (anySuspect && v.suspect.has(i)) continue;
    trusted++;
    const c = v.classes[i] as number;
    const st = v.states[i] as number;
    classCounts[c] = (classCounts[c] as number) + 1;
    stateCounts[st] = (stateCounts[st] as number) + 1;
    const t = v.table.typeAt(i);
    let k = 0;
    while (k < typeObjects.length && typeObjects[k] !== t) k++;
    if (k === typeObjects.length) {
      typeObjects.push(t);
      typeTally.push(0);
    }
    typeTally[k] = (typeTally[k] as number) + 1;
  }
  const byType: Record<string, number> = {};
  typeObjects.forEach((t, k) => (byType[t.name] = (byType[t.name] ?? 0) + (typeTally[k] as number)));
  return {
    keys: trusted,
    suspect: v.rows.length - trusted,
    byClass: Object.fromEntries(KEY_CLASSES.map((c, k) => [c, classCounts[k]])) as Record<KeyClass, number>,
    byState: Object.fromEntries(KEY_STATES.map((s, k) => [s, stateCounts[k]])) as Record<KeyState, number>,
    byType,
  };
}
