/**
 * Whole-fixture tests: every scenario captured from a real kernel by scripts/capture-fixtures.sh is read the way
 * the exporter reads /proc (--path.procfs), and every key the scenario created is found, decoded and
 * classified as its capture.json says.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildInventory, type Inventory, type InventoryKey } from '../src/classify/inventory.js';
import { readSnapshot } from '../src/procfs/read-proc-files.js';
import { byteStringToBytes } from '../src/parser/byte-string.js';
import { FIXTURES } from './audit/checks/support.js';

interface Expectation {
  serial: string;
  type: string;
  class: string;
  state: string;
  descriptionHex: string;
  uid?: number;
  gid?: number;
  perm?: string;
  flags?: string;
  expiryUnit?: string;
  forgedLine?: boolean;
  carriesForgedLine?: boolean;
  impostorOf?: string;
  note?: string;
}

interface Capture {
  scenario: string;
  capturedAt: number;
  reader: { uid: number; gid: number };
  expect: Expectation[];
}

const root = new URL('./fixtures/', import.meta.url);
const scenarios = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/capture.json`, root)))
  .map((d) => d.name)
  .sort();

const hex = (s: string): string => Buffer.from(byteStringToBytes(s)).toString('hex');

async function load(name: string): Promise<{ capture: Capture; inv: Inventory }> {
  const dir = new URL(`${name}/`, root);
  const capture = JSON.parse(readFileSync(new URL('capture.json', dir), 'utf8')) as Capture;
  const inv = buildInventory(await readSnapshot(dir.pathname, () => capture.capturedAt));
  return { capture, inv };
}

describe('captured fixtures', () => {
  it('are all there (one folder per scenario of scripts/capture-fixtures.sh)', () => {
    expect(scenarios).toEqual(expect.arrayContaining([...FIXTURES]));
  });

  describe.each(scenarios)('%s', (name) => {
    it('parses without issues, every file present', async () => {
      const { inv } = await load(name);
      expect(inv.issues).toEqual([]);
      expect(inv.files.keys.status).toBe('ok');
      expect(inv.files.keyUsers.status).toBe('ok');
      expect(Object.values(inv.limits)).not.toContain(null);
    });

    it('finds every key the scenario made, decoded and classified as captured', async () => {
      const { capture, inv } = await load(name);
      const bySerial = new Map<string, InventoryKey[]>();
      for (const k of inv.keys) bySerial.set(k.serial, [...(bySerial.get(k.serial) ?? []), k]);
      for (const e of capture.expect.filter((x) => x.forgedLine !== true)) {
        const found = bySerial.get(e.serial) ?? [];
        expect(found, `${e.serial} (${e.note ?? ''})`).toHaveLength(1);
        const k = found[0] as InventoryKey;
        const actual = {
          serial: k.serial,
          type: k.type.name,
          class: k.class,
          state: k.state,
          descriptionHex: hex(k.description),
          ...(e.uid !== undefined ? { uid: k.uid } : {}),
          ...(e.gid !== undefined ? { gid: k.gid } : {}),
          ...(e.perm !== undefined ? { perm: k.perm.hex } : {}),
          ...(e.flags !== undefined ? { flags: k.flagsRaw } : {}),
          ...(e.expiryUnit !== undefined ? { expiryUnit: k.expiry.unit ?? k.expiry.raw } : {}),
        };
        const wanted = {
          serial: e.serial,
          type: e.type,
          class: e.impostorOf !== undefined ? 'keyring' : e.class,
          state: e.state,
          descriptionHex: e.descriptionHex,
          ...(e.uid !== undefined ? { uid: e.uid } : {}),
          ...(e.gid !== undefined ? { gid: e.gid } : {}),
          ...(e.perm !== undefined ? { perm: e.perm } : {}),
          ...(e.flags !== undefined ? { flags: e.flags } : {}),
          ...(e.expiryUnit !== undefined ? { expiryUnit: e.expiryUnit } : {}),
        };
        expect(actual, e.note).toEqual(wanted);
        if (e.impostorOf !== undefined) expect(k).toMatchObject({ impostor: true, claimedClass: e.impostorOf });
        if (e.carriesForgedLine === true) expect(k.suspect.map((s) => s.code)).toContain('carries_record_text');
        else expect(k.suspect, `${e.serial} should be trusted`).toEqual([]);
      }
    });

    it('never counts a forged line as the key it pretends to be', async () => {
      const { capture, inv } = await load(name);
      for (const e of capture.expect.filter((x) => x.forgedLine === true)) {
        const trusted = inv.keys.filter((k) => k.serial === e.serial && k.suspect.length === 0);
        expect(trusted, `forged ${e.serial} (${e.note ?? ''})`).toEqual([]);
      }
    });
  });

  it('the ordinary host has nothing suspect and classifies every keyring the kernel made', async () => {
    const { inv } = await load('root-host-baseline');
    expect(inv.keys.filter((k) => k.suspect.length > 0)).toEqual([]);
    expect(inv.keys.filter((k) => k.impostor)).toEqual([]);
    expect(inv.summary.byClass).toMatchObject({ kernel: expect.any(Number), user: 1, user_session: 1, persistent_register: 1 });
  });
});
