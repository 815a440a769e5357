/**
 * The inventory made record by record as a serving exporter's read parses them (inventoryBuilder, record-pass.ts)
 * is the inventory made of the whole snapshot, whatever records were given before it, and however they were
 * classified before (a memo's records are classified again only when what they were classified with changed).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInventory, inventoryBuilder, type Inventory } from '../../src/classify/inventory.js';
import { GROUP_OR_OTHER_RIGHTS } from '../../src/classify/record-pass.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { snapshotOf } from '../helpers/snapshot.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const folders = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

/** What an inventory says, without the records' identity. */
function view(inv: Inventory) {
  return {
    keys: inv.keys.map((k) => ({ serial: k.serial, class: k.class, claimed: k.claimedClass, state: k.state, impostor: k.impostor, suspect: k.suspect.map((s) => s.code) })),
    trusted: inv.trusted.map((k) => k.serial),
    byClass: Object.fromEntries(Object.entries(inv.trustedGroups.byClass).map(([c, l]) => [c, l.map((k) => k.serial)])),
    byState: Object.fromEntries(Object.entries(inv.trustedGroups.byState).map(([s, l]) => [s, l.map((k) => k.serial)])),
    notable: inv.notable.map((k) => k.serial),
    summary: inv.summary,
    visibleByUid: [...inv.visibleByUid],
  };
}

const read = (folder: string) => readSnapshot(new URL(folder, fixtures).pathname, () => 1_800_000_000);

describe('inventoryBuilder', () => {
  it.each(folders)('%s: the records given as parsed, some or all, make the inventory of the snapshot', async (folder) => {
    const whole = view(buildInventory(await read(folder)));
    expect(whole.keys.length).toBeGreaterThan(0);
    for (const given of ['all', 'half', 'none', 'others'] as const) {
      const snapshot = await read(folder);
      const builder = inventoryBuilder();
      const records = given === 'others' ? (await read(folder)).keys : snapshot.keys;
      const n = given === 'all' || given === 'others' ? records.length : given === 'half' ? records.length >> 1 : 0;
      for (const r of records.slice(0, n)) builder.add(r, records);
      expect(view(builder.build(snapshot))).toEqual(whole);
    }
  });

  it.each(folders)('%s: notable holds exactly the impostors, the carriers of record-like lines, perms open to others and suspect records', async (folder) => {
    const inv = buildInventory(await read(folder));
    const expected = inv.keys.filter((k) => k.impostor || k.embeddedRecordLines.length > 0 || (k.perm.mask & GROUP_OR_OTHER_RIGHTS) !== 0 || k.suspect.length > 0);
    expect(inv.notable.map((k) => k.serial)).toEqual(expected.map((k) => k.serial));
  });

  it('classifies a record again when the overflow gid it was classified with changed', () => {
    const keys = '0000000a I--Q---     1 perm 1f3f0000  1000  4242 keyring   _uid.1000: empty\n';
    const users = ' 1000:     1 1/1 1/200 9/20000\n';
    const asDefault = snapshotOf(keys, users);
    const record = asDefault.keys[0];
    expect(buildInventory(asDefault).keys[0]?.class).toBe('keyring');
    // The same record object, on a host whose overflow gid is 4242: the kernel's own _uid.1000.
    const other = { ...snapshotOf(keys, users), overflowGid: 4242 };
    other.keys = [record as (typeof other.keys)[number]];
    expect(buildInventory(other).keys[0]?.class).toBe('user');
  });
});
