/**
 * Rows classified as the parser emits them, while /proc/keys is still being read (server/scraper.ts), give the
 * inventory that classifying the whole table at once gives: for every captured fixture, in random parts, and
 * when the overflow gid the classifier guessed turns out wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildInventory, countRowsByUid, RowClassifier, summarize, type Inventory } from '../../src/classify/inventory.js';
import { assessTrust } from '../../src/classify/key-trust.js';
import { streamProcKeys } from '../../src/parser/proc-keys.js';
import { buildSnapshot, type FileRead, type RawProcFiles, type Snapshot } from '../../src/parser/snapshot.js';
import { KEYS_SYSCTLS } from '../../src/parser/keys-sysctl.js';
import type { ByteSource } from '../../src/parser/byte-source.js';
import { generateProcKeys } from '../../scripts/bench.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const NAMES = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

const text = (path: string, data: string): FileRead => ({ path, status: 'ok', text: data });
const sourceOf = (buf: Buffer): ByteSource => ({ bytes: buf, latin1: (s, e) => buf.toString('latin1', s, e) });

function raw(name: string, overflowGid?: string): RawProcFiles {
  const dir = new URL(`${name}/`, fixtures);
  const read = (file: string): string => readFileSync(new URL(file, dir), 'latin1');
  return {
    keys: { path: 'keys', status: 'ok', source: sourceOf(readFileSync(new URL('keys', dir))) },
    keyUsers: text('key-users', read('key-users')),
    sysctls: Object.fromEntries(KEYS_SYSCTLS.map((n) => [n, text(n, read(`sys/kernel/keys/${n}`))])) as RawProcFiles['sysctls'],
    ...(overflowGid !== undefined ? { overflowGid: text('overflowgid', overflowGid) } : {}),
  };
}

/** The snapshot of `r` with /proc/keys parsed in parts ending at `cuts`, and the classifier told the rows after each. */
function streamed(r: RawProcFiles, cuts: number[], classifier: RowClassifier): Snapshot {
  const whole = r.keys.source?.bytes as Buffer;
  const stream = streamProcKeys();
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    stream.feed(sourceOf(whole.subarray(0, cut)), cut);
    classifier.classify(stream.table);
  }
  const parsed = stream.finish(sourceOf(whole));
  return buildSnapshot({ ...r, keys: { ...r.keys, parsed } }, 1_800_000_000);
}

function plain(inv: Inventory) {
  const { table: _table, ...byRow } = inv.byRow;
  return { keys: inv.keys, summary: inv.summary, issues: inv.issues, byRow: { ...byRow, classes: [...byRow.classes], claimedClasses: [...byRow.claimedClasses], states: [...byRow.states], nameUids: [...byRow.nameUids].sort((a, b) => a[0] - b[0]) } };
}

describe('RowClassifier', () => {
  it('has fixtures to test', () => expect(NAMES.length).toBeGreaterThan(8));

  it.each(NAMES)('%s: classified in parts while read, the same inventory as classified whole', (name) => {
    const expected = plain(buildInventory(buildSnapshot(raw(name), 1_800_000_000)));
    const size = (raw(name).keys.source?.bytes as Buffer).length;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: size }), { maxLength: 10 }), (cuts) => {
        const classifier = new RowClassifier();
        expect(plain(buildInventory(streamed(raw(name), cuts, classifier), classifier))).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });

  it.each(NAMES)('%s: what it counts while classifying is what the passes over every row give', (name) => {
    const inv = buildInventory(buildSnapshot(raw(name), 1_800_000_000));
    expect(inv.summary).toEqual(summarize(inv.byRow));
    expect([...inv.visibleByUid]).toEqual([...countRowsByUid(inv.byRow)]);
    // The trust pass over every row, on a fresh snapshot of the same files, marks the same rows for the same reasons.
    const fresh = buildSnapshot(raw(name), 1_800_000_000);
    const table = fresh.keys;
    const classifier = new RowClassifier(fresh.overflowGid);
    classifier.classify(table);
    const whole = assessTrust({ table, classes: classifier.classes.subarray(0, table.count), reclassify: (i) => classifier.classifyRow(table, i) }, fresh.users, fresh.unstableUids);
    expect(whole.rows).toEqual(inv.byRow.rows);
    expect([...whole.suspect]).toEqual([...inv.byRow.suspect]);
  });

  it('classifies and counts a table of many chunks as row by row, fed whole or in parts', () => {
    // 5,000 rows: classify() works in chunks of 1,024 (inventory.ts CLASSIFY_CHUNK), and feeds end anywhere.
    const { keys, keyUsers } = generateProcKeys(5000);
    const r: RawProcFiles = {
      keys: { path: 'keys', status: 'ok', source: sourceOf(Buffer.from(keys, 'latin1')) },
      keyUsers: text('key-users', keyUsers),
      sysctls: Object.fromEntries(KEYS_SYSCTLS.map((n) => [n, text(n, '200\n')])) as RawProcFiles['sysctls'],
    };
    const inv = buildInventory(buildSnapshot(r, 1_800_000_000));
    expect(inv.byRow.rows.length).toBe(5000);
    expect(inv.summary).toEqual(summarize(inv.byRow));
    expect([...inv.visibleByUid]).toEqual([...countRowsByUid(inv.byRow)]);
    // Row by row, with classifyRow(), on a fresh snapshot (the arrays wiped first).
    const fresh = buildSnapshot(r, 1_800_000_000);
    const one = new RowClassifier(fresh.overflowGid);
    one.classify(fresh.keys);
    one.classes.fill(255);
    one.claimedClasses.fill(255);
    one.states.fill(255);
    for (let i = 0; i < fresh.keys.count; i++) one.nameUids.set(i, -1);
    for (let i = 0; i < fresh.keys.count; i++) one.classifyRow(fresh.keys, i);
    expect([...inv.byRow.classes]).toEqual([...one.classes.subarray(0, 5000)]);
    expect([...inv.byRow.claimedClasses]).toEqual([...one.claimedClasses.subarray(0, 5000)]);
    expect([...inv.byRow.states]).toEqual([...one.states.subarray(0, 5000)]);
    expect([...inv.byRow.nameUids].sort((a, b) => a[0] - b[0])).toEqual([...one.nameUids].sort((a, b) => a[0] - b[0]));
    const expected = plain(inv);
    const size = keys.length;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: size }), { maxLength: 6 }), (cuts) => {
        const classifier = new RowClassifier();
        expect(plain(buildInventory(streamed(r, cuts, classifier), classifier))).toEqual(expected);
      }),
      { numRuns: 10 },
    );
  });

  it('keeps each owner\'s tally apart when uids share their low bits, in any order', () => {
    // The classifier finds an owner's tally by the uid's low byte first: 0, 256, 512, 40000 and 40192 share slots.
    const uids = [0, 256, 512, 40000, 40192, 4294967294];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...uids), { minLength: 1, maxLength: 60 }), (owners) => {
        const lines = owners.map(
          (uid, i) =>
            `${(0x10000000 + i).toString(16)} I--Q---     1 perm 3f010000 ${String(uid).padStart(5)} ${String(uid).padStart(5)} user      k${'x'.repeat(i % 7)}: ${i}\n`,
        );
        const r: RawProcFiles = {
          keys: { path: 'keys', status: 'ok', source: sourceOf(Buffer.from(lines.join(''), 'latin1')) },
          keyUsers: { path: 'key-users', status: 'absent' },
          sysctls: Object.fromEntries(KEYS_SYSCTLS.map((n) => [n, { path: n, status: 'absent' }])) as RawProcFiles['sysctls'],
        };
        const fresh = buildSnapshot(r, 1_800_000_000);
        const classifier = new RowClassifier(fresh.overflowGid);
        classifier.classify(fresh.keys);
        const table = fresh.keys;
        const whole = assessTrust({ table, classes: classifier.classes.subarray(0, table.count), reclassify: (i) => classifier.classifyRow(table, i) }, null, []);
        expect(new Map([...classifier.counted.totals].sort((a, b) => a[0] - b[0]))).toEqual(new Map([...whole.totals].sort((a, b) => a[0] - b[0])));
        expect([...classifier.counted.totals.keys()].sort((a, b) => a - b)).toEqual([...new Set(owners)].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  it('starts over when the overflow gid it classified with is not the snapshot\'s', () => {
    // The keyrings the kernel makes (_uid.0, .user_reg, ...) print gid 65534, the usual overflow gid: their class depends on it.
    for (const name of NAMES) {
      const r = raw(name, '4242\n');
      const expected = plain(buildInventory(buildSnapshot(r, 1_800_000_000)));
      const classifier = new RowClassifier(65534);
      const snapshot = streamed(r, [1000, 3000], classifier);
      expect(snapshot.overflowGid).toBe(4242);
      expect(plain(buildInventory(snapshot, classifier))).toEqual(expected);
    }
  });
});
