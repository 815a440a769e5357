/**
 * The scanner's fast path (scanStandardLayout: every column at the offset today's kernels print it at) must say
 * exactly what the general scanner says whenever it accepts a line; when it is unsure it declines and the
 * general scanner decides. Compared here on kernel lines and on lines damaged where the fast path looks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteSourceOf } from '../../src/parser/byte-source.js';
import { createScannedLine, scanKeyLineAt, scanKeyLineGeneral, scanStandardLayout, type ScannedLine } from '../../src/parser/key-line.js';
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

function scanWith(scan: (typeof scanKeyLineAt), line: string): { ok: boolean; out: ScannedLine } {
  const src = byteSourceOf(line);
  const out = createScannedLine();
  const ok = scan(src, 0, line.length, out);
  return { ok, out };
}

describe('scanStandardLayout (the fast path) agrees with scanKeyLineGeneral', () => {
  it('takes a line exactly as proc_keys_show() prints it today', () => {
    const line = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    expect(scanWith(scanStandardLayout, line).ok).toBe(true);
    expect(scanWith(scanStandardLayout, line).out).toEqual(scanWith(scanKeyLineGeneral, line).out);
  });

  it('declines the layouts it does not know and leaves them to the general scanner', () => {
    for (const line of [
      '3b8e2c4a I--Q--     1 perm 3f010000  1000  1000 keyring   _ses: 1', // 6 flags
      '3b8e2c4a I--Q---     1 perm 3f0100  1000  1000 keyring   _ses: 1', // 6-digit perm
      '3b8e2c4a I--Q--- 123456 perm 3f010000  1000  1000 keyring   _ses: 1', // usage wider than %5d
      '3b8e2c4a I--Q---     1 perm 3f010000 100000 100000 keyring   _ses: 1', // uid wider than %5d
      '3b8e2c4a I--Q---     1 1234w 3f010000  1000  1000 keyring   _ses: 1', // expiry wider than %4s
    ]) {
      expect(scanWith(scanStandardLayout, line).ok, line).toBe(false);
      expect(scanWith(scanKeyLineAt, line), line).toEqual(scanWith(scanKeyLineGeneral, line));
    }
  });

  it('on every generated kernel line: both accept, with the same values', () => {
    fc.assert(
      fc.property(keyRecordArb().map(renderRecord), (line) => {
        const g = scanWith(scanKeyLineGeneral, line);
        const f = scanWith(scanStandardLayout, line);
        expect(g.ok).toBe(true);
        if (f.ok) expect(f.out).toEqual(g.out);
        expect(scanWith(scanKeyLineAt, line)).toEqual(g);
      }),
      runs(500),
    );
  });

  it('on lines damaged in their header: whatever the fast path accepts, the general scanner accepts the same way', () => {
    let accepted = 0;
    fc.assert(
      fc.property(damaged, (line) => {
        const g = scanWith(scanKeyLineGeneral, line);
        const f = scanWith(scanStandardLayout, line);
        if (f.ok) {
          accepted++;
          expect(g.ok).toBe(true);
          expect(f.out).toEqual(g.out);
        }
        expect(scanWith(scanKeyLineAt, line)).toEqual(g);
      }),
      runs(3000),
    );
    // not vacuous: many damaged lines (a changed description byte, a changed hex digit) are still records
    expect(accepted).toBeGreaterThan(100);
  });

  it('reads the columns the line before had through the same view, byte for byte', () => {
    // The fast path remembers the last accepted line's flags, usage, perm, uid and gid columns and each type
    // slot's column as words read through the parser's DataView: a line that differs from the one before in any
    // one byte of those columns (or of the expiry, read as a word too) must still be judged on its own bytes.
    const base = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, j) => from + j);
    const positions = [...range(9, 16), ...range(17, 22), ...range(23, 27), ...range(28, 36), ...range(37, 42), ...range(43, 48), ...range(49, 58)];
    const bytes = [' ', '-', 'I', 'R', 'D', 'Q', 'U', 'N', 'i', 'x', 'k', 'e', 'y', 'u', 's', 'r', '.', '_', '\r', '0', '1', '9', 'a', 'f', 'g', 'p', 'm', 'd'];
    const lines: string[] = [];
    for (const p of positions) for (const b of bytes) lines.push(base, base.slice(0, p) + b + base.slice(p + 1));
    // Near collisions of the type slots' hash, each after the other.
    for (const t of ['cifs.spnego', 'cifs.idmap', 'rxrpc', 'rxrpc_s', 'keyring', 'id_resolver', 'asymmetric', 'trusted', 'user', 'logon'])
      lines.push(base.slice(0, 49) + t.slice(0, 9).padEnd(9, ' ') + base.slice(58));
    const text = lines.join('\n');
    const src = byteSourceOf(text);
    const view = new DataView(src.bytes.buffer, src.bytes.byteOffset, src.bytes.byteLength);
    let start = 0;
    let accepted = 0;
    for (const line of lines) {
      const out = createScannedLine();
      const ok = scanKeyLineAt(src, start, start + line.length, out, view);
      const g = scanWith(scanKeyLineGeneral, line);
      expect({ ok, out: ok ? { ...out, textStart: out.textStart - start } : null }, line).toEqual({ ok: g.ok, out: g.ok ? g.out : null });
      if (ok) accepted++;
      start += line.length + 1;
    }
    expect(accepted).toBeGreaterThan(lines.length / 2);
  });

  it('reads every shape of the usage, uid and gid columns as the general scanner does (column5)', () => {
    // Each column set to every 5-character string of spaces, '-', digits and a stray letter: printf's numbers,
    // and the near misses (leading zeros, "-0", inner spaces, a sign after a digit, a letter).
    const base = '3b8e2c4a I--Q---     1 perm 3f010000  1000  1000 keyring   _ses: 1';
    const alphabet = [' ', '-', '0', '1', '7', 'x'];
    let accepted = 0;
    let checked = 0;
    for (const at of [17, 37, 43]) {
      for (let code = 0; code < alphabet.length ** 5; code++) {
        let column = '';
        // The last character varies fastest: columns that differ only there come one after the other.
        for (let j = 0, x = code; j < 5; j++, x = Math.floor(x / alphabet.length)) column = alphabet[x % alphabet.length] + column;
        const line = base.slice(0, at) + column + base.slice(at + 5);
        const fast = scanWith(scanStandardLayout, line);
        const general = scanWith(scanKeyLineGeneral, line);
        // The fast path may decline (the general scanner decides then); what it accepts, it reads the same way.
        if (fast.ok) {
          expect(fast.out, line).toEqual(general.out);
          accepted++;
        }
        if (general.ok) expect(scanWith(scanKeyLineAt, line).out, line).toEqual(general.out);
        checked++;
      }
    }
    expect(checked).toBe(3 * 6 ** 5);
    expect(accepted).toBeGreaterThan(300);
    // Every fifth byte after a few prefixes: columns that share their first four bytes, one after the other.
    for (const at of [17, 37, 43])
      for (const prefix of ['    ', '   1', '  10', ' 100', '1000', '   -'])
        for (let c = 0; c < 256; c++) {
          const line = base.slice(0, at) + prefix + String.fromCharCode(c) + base.slice(at + 5);
          const general = scanWith(scanKeyLineGeneral, line);
          const fast = scanWith(scanKeyLineAt, line);
          expect({ ok: fast.ok, out: fast.ok ? fast.out : null }, JSON.stringify(line)).toEqual({ ok: general.ok, out: general.ok ? general.out : null });
        }
  });
});

