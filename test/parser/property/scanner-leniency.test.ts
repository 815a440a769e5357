/**
 * Parser bugs found by the property tests, each a minimal reproduction, kept as regression tests. Each one
 * failed (it was an `it.fails`) until the fix in src/parser/key-line.ts or proc-keys.ts that it names.
 */
import { describe, expect, it } from 'vitest';
import { formatKeyHeader, keyText, parseProcKeys } from '../../../src/parser/proc-keys.js';

/** One /proc/keys line with the given columns pasted in verbatim (no padding added). */
const line = (serial: string, flags: string, usage: string, expiry: string, perm: string, uid: string, gid: string, text: string): string =>
  `${serial} ${flags} ${usage} ${expiry} ${perm} ${uid} ${gid} user      ${text}\n`;

describe('scanner leniency (fixed bugs)', () => {
  // BUG A: key-line.ts caches decoded expiries in a module-level Map keyed by `count * 8 + unit`, so " 07s" and
  // "  7s" share an entry: whichever is seen first decides `expiry.raw` for the other, in every later parse in the
  // process. A kernel line "   7s" can come back with expiry.raw "07s" (and formatKeyHeader() then prints a line
  // the kernel never printed). The parse of one file depends on what was parsed before it: not pure.
  // Fix idea: reject leading zeros in expiryAt() (the kernel prints "%lu"), which also removes the collision.
  it('BUG A: a kernel line\'s expiry does not depend on an earlier parse of " 07s"', () => {
    const odd = parseProcKeys(line('00000010', 'I--Q---', '    1', ' 07s', '3f010000', ' 1000', ' 1000', 'a: 1')).records[0]?.expiry.raw;
    const kernel = parseProcKeys(line('00000011', 'I--Q---', '    1', '  7s', '3f010000', ' 1000', ' 1000', 'b: 1')).records[0]?.expiry.raw;
    expect(kernel).toBe('7s');
    // and the odd line, if taken at all, keeps what it printed
    expect(odd === undefined || odd === '07s').toBe(true);
  });

  // BUG B: readAligned() and expiryAt() accept leading zeros and "-0" in usage, expiry, uid and gid ("00001",
  // "01s", "-0"). printf("%5d") never prints them, yet the line becomes a record whose fields cannot reproduce
  // it: formatKeyHeader(r) + keyText(r) is documented (key-record.ts) as "the record exactly as printed".
  // Minimal reproduction: "0000000c I--Q--- 00001 perm 3f010000    -0 00000 user      c: 1".
  it('BUG B: a record always reproduces its line (leading zeros / "-0" are not printf output)', () => {
    const text = line('0000000c', 'I--Q---', '00001', 'perm', '3f010000', '   -0', '00000', 'c: 1');
    const r = parseProcKeys(text);
    for (const k of r.records) expect(formatKeyHeader(k) + keyText(k)).toBe(text.slice(0, -1));
    expect(r.records.length + r.issues.length).toBeGreaterThan(0);
  });

  // BUG C: parseProcKeysBytes() fixes format.flagWidth / permWidth from the FIRST record-shaped line before
  // checking impossibleRecord(), so a first line the parser itself rejects (here: 6 flags and a perm that grants
  // view to nobody) still sets the file's format, and then every real 7-flag record after it is rejected as
  // "7 flag characters where this file has 6": the whole file is lost to one damaged line.
  // Minimal reproduction:
  //   00000001 I-----     1 perm 00000000     0     0 keyring   junk: 1
  //   00000002 I--Q---     1 perm 3f010000  1000  1000 user      a: 1
  //   00000003 I--Q---     1 perm 3f010000  1000  1000 user      b: 1
  // gives 0 records and 3 issues; expected: records 2 and 3, one issue at line 1.
  it('BUG C: a rejected first line does not decide the format of the lines after it', () => {
    const text =
      '00000001 I-----     1 perm 00000000     0     0 keyring   junk: 1\n' +
      '00000002 I--Q---     1 perm 3f010000  1000  1000 user      a: 1\n' +
      '00000003 I--Q---     1 perm 3f010000  1000  1000 user      b: 1\n';
    const r = parseProcKeys(text);
    expect(r.records.map((k) => [k.line, k.serial])).toEqual([
      [2, '00000002'],
      [3, '00000003'],
    ]);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[1, 'unparseable_line']]);
    expect(r.format).toMatchObject({ flagWidth: 7, permWidth: 8 });
  });

  // BUG C (second form): 7 flag characters (Linux >= 3.5) with a 6-digit perm (Linux < 2.6.14) were never printed
  // by one kernel, but impossibleRecord() accepts the pair, the line sets the format, and the real record after it
  // (8-digit perm) is folded into it as "impossible" text.
  it('BUG C: 7 flags with a 6-digit perm is not a record, and does not swallow the kernel line after it', () => {
    const text = '00000001 I------     1 perm 3f0100     0     0 keyring   junk: 1\n' + '00000002 I--Q---     1 perm 3f010000  1000  1000 user      a: 1\n';
    const r = parseProcKeys(text);
    expect(r.records.map((k) => [k.line, k.serial, k.lineCount])).toEqual([[2, '00000002', 1]]);
  });
});
