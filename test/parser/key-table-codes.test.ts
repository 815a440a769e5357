/**
 * A table keeps each row's flags, expiry, perm, type and summary as numbers (KeyTable.flagBitsAt(),
 * expirySecondsAt(), permMaskAt(), typeIdAt(), summaryCodeAt()) and decodes them on demand:
 * what it gives back is what the column's text decodes to.
 */
import { describe, expect, it } from 'vitest';
import { decodeKeyFlags, KEY_FLAG_LETTERS } from '../../src/parser/key-flags.js';
import { decodeKeyPermissions } from '../../src/parser/key-permissions.js';
import { decodeKeyExpiry, type KeyExpiry } from '../../src/parser/key-expiry.js';
import type { KeySummary } from '../../src/parser/key-summary.js';
import { expiryOfSeconds, expirySecondsOf, summaryCodeOf, FLAG_I, FLAG_N, FLAG_Q, FLAG_R, flagsInfo, flagsInfoOf, permissionsOf } from '../../src/parser/key-table.js';
import { parseProcKeys, parseProcKeysBytes } from '../../src/parser/proc-keys.js';
import { byteSourceOf } from '../../src/parser/byte-source.js';

describe('flags, expiry, perm, type and summary as numbers', () => {
  it('FLAG_* are the bits of their letters', () => {
    expect([FLAG_I, FLAG_R, FLAG_Q, FLAG_N]).toEqual(['I', 'R', 'Q', 'N'].map((l) => 1 << KEY_FLAG_LETTERS.indexOf(l as (typeof KEY_FLAG_LETTERS)[number])));
  });

  it('flagsInfoOf(width, bits) is the FlagsInfo of the text with those flags set, in both widths', () => {
    for (const width of [6, 7] as const)
      for (let bits = 0; bits < 1 << width; bits++) {
        const raw = [...KEY_FLAG_LETTERS.slice(0, width)].map((l, j) => (bits & (1 << j) ? l : '-')).join('');
        expect(flagsInfoOf(width, bits)).toEqual(flagsInfo(raw, decodeKeyFlags(raw)));
        expect(flagsInfoOf(width, bits).bits).toBe(bits);
      }
  });

  it('permissionsOf(mask, width) is what the column decodes to, leading zeros included', () => {
    for (const hex of ['3f010000', '0b0b0000', '00000001', 'ffffffff', '3f3f3f3f', '1f3f0000', '3f0000', '010101'])
      expect(permissionsOf(Number.parseInt(hex, 16), hex.length as 6 | 8)).toEqual(decodeKeyPermissions(hex));
  });

  it('expiryOfSeconds(expirySecondsOf(e)) is e for every expiry the kernel can print', () => {
    const texts = ['perm', 'expd', '9999999999w', '1w', '52w'];
    for (const [unit, max] of [['s', 59], ['m', 59], ['h', 23], ['d', 6]] as const) for (let n = 1; n <= max; n++) texts.push(`${n}${unit}`);
    const seen = new Set<number>();
    for (const text of texts) {
      const e = decodeKeyExpiry(text) as KeyExpiry;
      expect(expiryOfSeconds(expirySecondsOf(e))).toEqual(e);
      seen.add(expirySecondsOf(e));
    }
    // One number per text: none is mistaken for another.
    expect(seen.size).toBe(texts.length);
  });

  it('a row gives back the summary it was given, whether it has a code or the table keeps it', () => {
    const { table } = parseProcKeysBytes(byteSourceOf('00000001 I--Q---     1 perm 3f010000     0     0 keyring   _ses: empty\n'));
    const summaries: (KeySummary | null)[] = [
      null,
      { kind: 'keyring', links: 0 },
      { kind: 'keyring', links: 4095 },
      { kind: 'keyring', links: 1, capacity: 4 },
      { kind: 'length', bytes: 0 },
      { kind: 'length', bytes: 1_048_576 },
      { kind: 'length', bytes: 2 ** 53 },
      // Codes past 32 bits (a row's word): kept by the table.
      { kind: 'keyring', links: 2 ** 30 },
      { kind: 'length', bytes: 2 ** 30 },
      { kind: 'error', errno: 126 },
      { kind: 'asymmetric', subtype: 'X509', keyIdTail: '1a2b3c4d' },
      { kind: 'request_key_auth', targetSerial: '1234abcd', pid: 77, calloutLength: 0 },
    ];
    const codes = new Set<number>();
    for (const s of summaries) {
      table.setSummary(0, s);
      expect(table.summaryAt(0)).toEqual(s);
      codes.add(summaryCodeOf(s));
    }
    // Kept by the table only while the row's summary has no code.
    expect(table.otherSummaries.size).toBe(1);
    table.setSummary(0, null);
    expect(table.otherSummaries.size).toBe(0);
    expect([...codes].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 8190, 2_097_153]);
  });

  it('values past a 32-bit word come back as printed: ids of 2^31 and more, far expiries, charges and summaries of 2^31 bytes', () => {
    // Wider than the kernel's columns, so the general scanner reads them; each line after a wide one is in today's
    // layout, so the parser's loop over such lines emits the wide record (proc-keys.ts runOfRecords).
    const text = [
      '00000010 I--Q---     1 perm 3f010000 4294967295 2147483648 user      big-ids: 5',
      '00000011 I--Q---     1 perm 3f010000     0     0 user      a: 5',
      '00000012 I--Q---     1 99999w 3f010000     0     0 user      far: 5',
      '00000013 I--Q---     1 perm 3f010000     0     0 user      huge: 3000000000',
      '00000014 I--Q---     1 perm 3f010000     0     0 keyring   many: 3000000000',
      '00000015 I--Q---     1 perm 3f010000 -2147483648 -2147483648 user      sentinel: 5',
      '00000016 I--Q---     1 perm 3f010000     0     0 user      b: 5',
    ].join('\n');
    const parsed = parseProcKeysBytes(byteSourceOf(text + '\n'));
    expect(parsed.issues).toEqual([]);
    const table = parsed.table;
    expect(table.count).toBe(7);
    const rows = [...Array(7).keys()];
    expect(rows.map((i) => [table.uidAt(i), table.gidAt(i)])).toEqual([
      [4294967295, 2147483648],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [-2147483648, -2147483648],
      [0, 0],
    ]);
    expect(table.expiryAt(2).raw).toBe('99999w');
    expect(table.expirySecondsAt(2)).toBe(99999 * 604800);
    expect(table.summaryAt(3)).toEqual({ kind: 'length', bytes: 3_000_000_000 });
    expect(table.chargeAt(3)).toBe('huge'.length + 1 + 3_000_000_000);
    expect(table.summaryAt(4)).toEqual({ kind: 'keyring', links: 3_000_000_000 });
    expect(table.chargeAt(4)).toBe('many'.length + 1 + 4 * 3_000_000_000);
    // The records, as the kernel printed them.
    expect(table.records().map((r) => [r.serial, r.uid, r.gid, r.expiry.raw, r.description, r.summaryText])).toEqual([
      ['00000010', 4294967295, 2147483648, 'perm', 'big-ids', ': 5'],
      ['00000011', 0, 0, 'perm', 'a', ': 5'],
      ['00000012', 0, 0, '99999w', 'far', ': 5'],
      ['00000013', 0, 0, 'perm', 'huge', ': 3000000000'],
      ['00000014', 0, 0, 'perm', 'many', ': 3000000000'],
      ['00000015', -2147483648, -2147483648, 'perm', 'sentinel', ': 5'],
      ['00000016', 0, 0, 'perm', 'b', ': 5'],
    ]);
  });

  it('types past the numbered ones are kept by the table, row by row', () => {
    // 4,200 distinct type names: more than key-type.ts numbers (4,095; this file's module registry is its own).
    const lines: string[] = [];
    for (let k = 0; k < 4200; k++) {
      const type = `t${k}`.padEnd(9, ' ');
      lines.push(`${(k + 1).toString(16).padStart(8, '0')} I--Q---     1 perm 3f010000     0     0 ${type} x${k}`);
    }
    const { table } = parseProcKeysBytes(byteSourceOf(lines.join('\n') + '\n'));
    expect(table.count).toBe(4200);
    expect(table.otherTypes.size).toBeGreaterThan(0);
    for (let k = 0; k < 4200; k++) expect(table.typeAt(k).raw).toBe(`t${k}`);
    expect(table.record(4199).type).toEqual({ raw: 't4199', name: 't4199', known: false, maybeTruncated: false });
  });

  it('a table of old six-flag, six-digit lines gives back its flags and perm as printed', () => {
    const text = '00000001 I--Q--     1 perm 3f0100     0     0 keyring   _ses: empty\n00000002 IR-Q--     1 expd 0b0b00     0     0 user      a: 1\n';
    const { table } = parseProcKeysBytes(byteSourceOf(text));
    expect(table.count).toBe(2);
    expect([table.flagWidth, table.permWidth]).toEqual([6, 6]);
    expect(parseProcKeys(text).records.map((r) => [r.flagsRaw, r.perm.hex, r.expiry.raw])).toEqual([
      ['I--Q--', '3f0100', 'perm'],
      ['IR-Q--', '0b0b00', 'expd'],
    ]);
  });
});
