/**
 * The charge classify/key-trust.ts quotaBytes() computes from a parsed record: a carrier rebuilt by a fold (the
 * owners' /proc/key-users totals only balance with the forged line back in its description) is charged for its
 * whole description. (The parser's table of per-row charges, compared here before, is gone: charges are computed
 * from records.)
 */
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/classify/inventory.js';
import { quotaBytes } from '../../src/classify/key-trust.js';
import { parseProcKeys, type KeyRecord } from '../../src/parser/proc-keys.js';
import { renderKeyLine, renderKeys } from '../helpers/render-key-line.js';
import { snapshotOf } from '../helpers/snapshot.js';

describe('the charge of a parsed record', () => {
  it('a carrier rebuilt by a fold is charged for its whole description', () => {
    // As in key-trust.test.ts: the forged line's totals only balance once it is folded back into its carrier.
    const careful = renderKeyLine({ serial: 0x10000001, uid: 40002, gid: 40002, perm: '3f010000', type: 'user', text: 'other' });
    const realDescription = `innocent: 5\n${careful}`;
    const text = renderKeys([{ serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `${realDescription}: 5` }]);
    const users = `40001:     1 1/1 1/200 ${realDescription.length + 6}/20000\n40002:     9 9/9 9/200 900/20000\n`;
    // Read from text alone, the careful forgery is a record of its own ...
    expect(parseProcKeys(text).records.map((k) => k.serial)).toEqual(['10000000', '10000001']);
    // ... until the owners' totals fold it back into its carrier, which is then charged for the whole description.
    const carrier = buildInventory(snapshotOf(text, users)).keys[0] as KeyRecord;
    expect(carrier.description).toBe(realDescription);
    expect(quotaBytes(carrier).min).toBe(realDescription.length + 1 + 5);
  });
});
