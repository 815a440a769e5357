/**
 * The charge the parser stores per row (KeyTable.chargeAt(), KeyTable.chargeExactAt()), which the owners' totals are
 * summed from (classify/key-trust.ts addRow), are what quotaBytes() computes from the row's record: for every
 * /proc/keys the repository holds, for generated files (multi-line descriptions, every type and state, CRLF), and
 * for a carrier rewritten by a fold.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/classify/inventory.js';
import { quotaBytes } from '../../src/classify/key-trust.js';
import { byteSourceOf } from '../../src/parser/byte-source.js';
import type { KeyTable } from '../../src/parser/key-table.js';
import { parseProcKeysBytes } from '../../src/parser/proc-keys.js';
import { multiLineKeysFileArb } from '../helpers/line-generator.js';
import { renderKeyLine, renderKeys } from '../helpers/render-key-line.js';
import { snapshotOf } from '../helpers/snapshot.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const samples = new URL('../published-samples/', import.meta.url);
const FILES: [string, string][] = [
  ...readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d): [string, string] => [`fixtures/${d.name}/keys`, readFileSync(new URL(`${d.name}/keys`, fixtures), 'latin1')]),
  ...readdirSync(samples)
    .filter((f) => f.endsWith('.keys'))
    .map((f): [string, string] => [`published-samples/${f}`, readFileSync(new URL(f, samples), 'latin1')]),
];

/** Rows whose charge columns differ from quotaBytes() of their record. */
function wrongCharges(table: KeyTable): string[] {
  const wrong: string[] = [];
  for (let i = 0; i < table.count; i++) {
    const expected = quotaBytes(table.record(i));
    const stored = { min: table.chargeAt(i), exact: table.chargeExactAt(i) };
    if (stored.min !== expected.min || stored.exact !== expected.exact) wrong.push(`row ${i}: ${JSON.stringify(stored)}, expected ${JSON.stringify(expected)}`);
  }
  return wrong;
}

describe('KeyTable charge columns', () => {
  it('has files with rows to test', () => {
    expect(FILES.length).toBeGreaterThan(20);
    expect(FILES.reduce((n, [, text]) => n + parseProcKeysBytes(byteSourceOf(text)).table.count, 0)).toBeGreaterThan(200);
  });

  it.each(FILES)('%s: every row as quotaBytes() computes it', (_name, text) => {
    expect(wrongCharges(parseProcKeysBytes(byteSourceOf(text)).table)).toEqual([]);
  });

  it('generated files, LF and CRLF: every row as quotaBytes() computes it', () => {
    fc.assert(
      fc.property(multiLineKeysFileArb(12), fc.boolean(), (file, crlf) => {
        const text = crlf ? file.text.replaceAll('\n', '\r\n') : file.text;
        expect(wrongCharges(parseProcKeysBytes(byteSourceOf(text)).table)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a carrier rebuilt by a fold is charged for its whole description', () => {
    // As in key-trust.test.ts: the forged line's totals only balance once it is folded back into its carrier.
    const careful = renderKeyLine({ serial: 0x10000001, uid: 40002, gid: 40002, perm: '3f010000', type: 'user', text: 'other' });
    const realDescription = `innocent: 5\n${careful}`;
    const text = renderKeys([{ serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `${realDescription}: 5` }]);
    const users = `40001:     1 1/1 1/200 ${realDescription.length + 6}/20000\n40002:     9 9/9 9/200 900/20000\n`;
    const inv = buildInventory(snapshotOf(text, users));
    const table = inv.byRow.table;
    expect(table.description(0)).toBe(realDescription);
    expect(table.chargeAt(0)).toBe(realDescription.length + 1 + 5);
    expect(wrongCharges(table)).toEqual([]);
  });
});
