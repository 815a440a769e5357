/**
 * The rows of a large key table are reused by a later table only once the table they belonged to has been
 * collected (parser/key-table.ts): never while it is in use, and then with every row of the new table as parsed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseProcKeysBytes } from '../../src/parser/proc-keys.js';
import type { ByteSource } from '../../src/parser/byte-source.js';
import type { KeyTable } from '../../src/parser/key-table.js';
import { generateProcKeys } from '../../scripts/bench.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const sourceOf = (text: string): ByteSource => {
  const buf = Buffer.from(text, 'latin1');
  return { bytes: buf, latin1: (s, e) => buf.toString('latin1', s, e) };
};
// 40,000 rows: tables of 32,768 rows or more are pooled. Two files, so that reused rows show what they held.
const A = generateProcKeys(40_000).keys;
const B = generateProcKeys(40_000).keys.replace(/krb_ccache/g, 'KRB_CCACHE');
const parse = (text: string): KeyTable => parseProcKeysBytes(sourceOf(text)).table;

describe('key table rows', () => {
  it('are never shared with a table still in use, and are reused once it is collected', async () => {
    let first: KeyTable | null = parse(A);
    const records = first.records();
    const words = first.words;
    // While `first` lives, however many tables come and go and however often the collector runs.
    for (let k = 0; k < 6; k++) {
      const other = parse(B);
      // Compared by identity: toBe on two large typed arrays also compares their contents, for its message.
      expect(other.words === first.words).toBe(false);
      gc();
      await sleep(5);
    }
    expect(first.records()).toEqual(records);
    // Once it is garbage, its rows come back: `words` is held here, the table is not.
    first = null;
    let reused: KeyTable | null = null;
    for (let k = 0; k < 20 && reused === null; k++) {
      gc();
      await sleep(5);
      const t = parse(B);
      if (t.words === words) reused = t;
    }
    expect(reused).not.toBeNull();
    // Every row as parsed, nothing of what the array held before.
    expect((reused as KeyTable).records()).toEqual(parse(B).records());
  });

  it('are not pooled for tables under 32,768 rows', async () => {
    const small = generateProcKeys(10_000).keys;
    expect(parse(small).capacity).toBeLessThan(32_768);
    // Each table's `words` held here, the tables not: no array ever comes back.
    const seen = new Set<Int32Array>();
    for (let k = 0; k < 20; k++) {
      const words = parse(small).words;
      expect(seen.has(words)).toBe(false);
      seen.add(words);
      gc();
      await sleep(5);
    }
  });
});
