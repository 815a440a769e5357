/**
 * scanKeyLine(): the prefix of a /proc/keys line, read only as printf prints it. Every line a kernel prints is
 * read back to its values; whatever else is accepted (a line damaged in its header) is still exactly printf output,
 * so the record made from it reproduces its line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanKeyLine, type KeyLineHeader } from '../../src/parser/key-line.js';
import { keyRecordArb, renderRecord } from '../helpers/line-generator.js';

const runs = (n: number): { numRuns: number } => ({ numRuns: Math.round(n * Number(process.env['PROPERTY_RUNS_SCALE'] ?? 1)) });

/** Bytes that matter in a header: padding, digits (leading zeros), signs, hex, flag letters, a CR. */
const headerByte = fc.constantFrom(' ', '0', '1', '9', '-', 'a', 'f', 'g', 'I', 'Q', 'i', 'x', '\t', '\r', 's', 'm', 'w');

const damaged = fc.tuple(keyRecordArb().map(renderRecord), fc.nat(), headerByte, fc.constantFrom('replace', 'insert', 'delete')).map(([t, at, b, op]) => {
  const p = at % 62;
  if (op === 'replace') return t.slice(0, p) + b + t.slice(p + 1);
  if (op === 'insert') return t.slice(0, p) + b + t.slice(p);
  return t.slice(0, p) + t.slice(p + 1);
});

const scan = (line: string): KeyLineHeader | null => scanKeyLine(line, 0, line.length, false);

/** The prefix proc_keys_show() prints for these values. */
const printed = (h: KeyLineHeader): string =>
  `${h.serial} ${h.flagsRaw} ${String(h.usage).padStart(5)} ${h.expiryRaw.padStart(4)} ${h.permHex} ${String(h.uid).padStart(5)} ${String(h.gid).padStart(5)} ${h.typeRaw.padEnd(9)} `;

describe('scanKeyLine', () => {
  it('reads a line exactly as proc_keys_show() prints it today', () => {
    const line = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    for (const strict of [true, false])
      expect(scanKeyLine(line, 0, line.length, strict)).toEqual({
        serial: '3b8e2c4a',
        serialNumber: 0x3b8e2c4a,
        flagsRaw: 'I--Q---',
        usage: 1,
        expiryRaw: 'perm',
        permHex: '3f010000',
        uid: 1000,
        gid: 1000,
        typeRaw: 'keyring',
        textStart: 59,
      });
  });

  it('reads a line inside a larger text, and not past its end', () => {
    const line = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    const text = `junk\n${line}\nmore`;
    expect(scanKeyLine(text, 5, 5 + line.length, false)).toMatchObject({ serial: '3b8e2c4a', textStart: 5 + 59 });
    expect(scanKeyLine(text, 5, 5 + 40, false)).toBeNull();
  });

  it('reads the layouts of older kernels and columns wider than their minimum width', () => {
    for (const [line, values] of [
      ['3b8e2c4a I--Q--     1 perm 3f010000  1000  1000 keyring   _ses: 1', { flagsRaw: 'I--Q--' }],
      ['3b8e2c4a I--Q---     1 perm 3f0100  1000  1000 keyring   _ses: 1', { permHex: '3f0100' }],
      ['3b8e2c4a I--Q--- 123456 perm 3f010000  1000  1000 keyring   _ses: 1', { usage: 123456 }],
      ['3b8e2c4a I--Q---     1 perm 3f010000 100000 -100000 keyring   _ses: 1', { uid: 100000, gid: -100000 }],
      ['3b8e2c4a I--Q---     1 1234w 3f010000  1000  1000 keyring   _ses: 1', { expiryRaw: '1234w' }],
    ] as const)
      expect(scan(line), line).toMatchObject(values);
  });

  it('rejects what printf never prints: leading zeros, "-0", wrong padding, blanks other than single spaces, a broken type column', () => {
    for (const line of [
      '3b8e2c4a I--Q--- 00001 perm 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q---     1 perm 3f010000    -0  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q---     1  07s 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q---     1   0s 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q---    1 perm 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q--- 1 perm 3f010000 1000 1000 keyring _ses: 1',
      '  3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1',
      '\t3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a\tI--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1',
      '3B8E2C4A I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1',
      '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 key ring  _ses: 1',
      '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 mykey   New key type: 0',
      '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring',
    ])
      expect(scan(line), JSON.stringify(line)).toBeNull();
  });

  it('reads every generated kernel line back to its values', () => {
    fc.assert(
      fc.property(keyRecordArb(), (k) => {
        const line = renderRecord(k);
        const h = scan(line);
        expect(h).toEqual({
          serial: k.serialHex,
          serialNumber: k.serial,
          flagsRaw: k.flags,
          usage: k.usage,
          expiryRaw: k.expiry.raw,
          permHex: k.perm,
          uid: k.uid,
          gid: k.gid,
          typeRaw: k.typeColumn.trimEnd(),
          textStart: k.header.length,
        });
        expect(scanKeyLine(line, 0, line.length, true)).toEqual(h);
      }),
      runs(500),
    );
  });

  it('on lines damaged in their header: whatever it accepts is printf output, the prefix printed from the values', () => {
    let accepted = 0;
    fc.assert(
      fc.property(damaged, (line) => {
        const h = scan(line);
        if (h === null) return;
        accepted++;
        expect(line.slice(0, h.textStart)).toBe(printed(h));
      }),
      runs(3000),
    );
    // not vacuous: many damaged lines (a changed description byte, a changed hex digit) are still records
    expect(accepted).toBeGreaterThan(100);
  });

  it('reads every shape of the usage, uid and gid columns as printf("%5d") would have printed it', () => {
    // Each column set to every 5-character string of spaces, '-', digits and a stray letter: printf's numbers,
    // and the near misses (leading zeros, "-0", inner spaces, a sign after a digit, a letter).
    const base = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    const alphabet = [' ', '-', '0', '1', '7', 'x'];
    let accepted = 0;
    for (const at of [17, 37, 43]) {
      for (let code = 0; code < alphabet.length ** 5; code++) {
        let column = '';
        for (let j = 0, x = code; j < 5; j++, x = Math.floor(x / alphabet.length)) column = alphabet[x % alphabet.length] + column;
        const line = base.slice(0, at) + column + base.slice(at + 5);
        const value = column.trimStart();
        // usage is a refcount, printed with %d too, but the generator and the kernel never show it negative
        const printf = /^(?:0|-?[1-9]\d*)$/.test(value) && (at !== 17 || !value.startsWith('-'));
        const h = scan(line);
        expect(h !== null, line).toBe(printf);
        if (h !== null) {
          accepted++;
          expect(line.slice(0, h.textStart)).toBe(printed(h));
        }
      }
    }
    expect(accepted).toBeGreaterThan(300);
  });
});
