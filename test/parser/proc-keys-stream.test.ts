/**
 * The /proc/keys parser fed as the file is read (streamProcKeys) gives what the parser of the whole file gives,
 * wherever the reads end: in the middle of a line, of a multi-line description, of a forged record, of a CRLF.
 * The bytes past what a feed says is read are junk that looks like records, as a buffer the reader is still
 * writing may hold: the parser must never look at them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProcKeysBytes, streamProcKeys, type ProcKeysTableResult } from '../../src/parser/proc-keys.js';
import type { ByteSource } from '../../src/parser/byte-source.js';
import { multiLineKeysFileArb } from '../helpers/line-generator.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const samples = new URL('../published-samples/', import.meta.url);

/** Every /proc/keys the repository holds: the captured fixtures and the published samples. */
const FILES: [string, Buffer][] = [
  ...readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d): [string, Buffer] => [`fixtures/${d.name}/keys`, readFileSync(new URL(`${d.name}/keys`, fixtures))]),
  ...readdirSync(samples)
    .filter((f) => f.endsWith('.keys'))
    .map((f): [string, Buffer] => [`published-samples/${f}`, readFileSync(new URL(f, samples))]),
];

const JUNK = Buffer.from('\n00000001 I--Q--- 1 perm 3f010000 0 0 keyring _uid.0: empty\r\n', 'latin1');

function sourceOf(buf: Buffer): ByteSource {
  return { bytes: buf, latin1: (s, e) => buf.toString('latin1', s, e) };
}

/** `whole` fed in parts ending at `cuts`, each feed a new buffer with junk past the bytes it says are read. */
function streamed(whole: Buffer, cuts: number[], expectedBytes = 0): ProcKeysTableResult {
  const stream = streamProcKeys(expectedBytes);
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const buf = Buffer.alloc(cut + JUNK.length * 3);
    whole.copy(buf, 0, 0, cut);
    for (let at = cut; at < buf.length; at += JUNK.length) JUNK.copy(buf, at);
    stream.feed(sourceOf(buf), cut);
  }
  return stream.finish(sourceOf(whole));
}

function plain(r: ProcKeysTableResult) {
  return { records: r.table.records(), count: r.table.count, issues: r.issues, format: r.format };
}

describe('streamProcKeys', () => {
  it('has files to test', () => {
    expect(FILES.length).toBeGreaterThan(20);
    expect(FILES.some(([name]) => name.includes('CRLF'))).toBe(true);
    expect(FILES.some(([name]) => name.includes('forged'))).toBe(true);
  });

  it.each(FILES)('%s: fed a byte at a time, in every line, the same as parsed whole', (_name, whole) => {
    const expected = plain(parseProcKeysBytes(sourceOf(whole)));
    // Every byte boundary for small files; for larger ones, every boundary of the first and last 4 KB and each line's end.
    const cuts: number[] = [];
    for (let i = 0; i <= whole.length; i++) if (whole.length <= 16384 || i < 4096 || i > whole.length - 4096 || whole[i - 1] === 0x0a) cuts.push(i);
    expect(plain(streamed(whole, cuts))).toEqual(expected);
  });

  it.each(FILES)('%s: fed in random parts, the same as parsed whole', (_name, whole) => {
    const expected = plain(parseProcKeysBytes(sourceOf(whole)));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: whole.length }), { maxLength: 12 }), fc.nat({ max: whole.length * 2 }), (cuts, expectedBytes) => {
        expect(plain(streamed(whole, cuts, expectedBytes))).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('generated files with multi-line and forged descriptions, in random parts, parse as they do whole', () => {
    fc.assert(
      fc.property(multiLineKeysFileArb(), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (file, rawCuts, crlf) => {
        const whole = Buffer.from(crlf ? file.text.replace(/\n/g, '\r\n') : file.text, 'latin1');
        const cuts = rawCuts.map((c) => c % (whole.length + 1));
        expect(plain(streamed(whole, cuts))).toEqual(plain(parseProcKeysBytes(sourceOf(whole))));
      }),
      { numRuns: 300 },
    );
  });

  it('any bytes, in random parts, parse as they do whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, rawCuts) => {
        const whole = Buffer.from(bytes);
        const cuts = rawCuts.map((c) => c % (whole.length + 1));
        expect(plain(streamed(whole, cuts))).toEqual(plain(parseProcKeysBytes(sourceOf(whole))));
      }),
      { numRuns: 500 },
    );
  });

  it('grows its table past what it expected', () => {
    const [, whole] = FILES.reduce((a, b) => (b[1].length > a[1].length ? b : a));
    const r = streamed(whole, [1000, 5000], 0);
    expect(r.table.capacity).toBeGreaterThanOrEqual(r.table.count);
    expect(plain(r)).toEqual(plain(parseProcKeysBytes(sourceOf(whole))));
  });

  it('is spent once finished', () => {
    const stream = streamProcKeys();
    stream.finish(sourceOf(Buffer.alloc(0)));
    expect(() => stream.finish(sourceOf(Buffer.alloc(0)))).toThrow(/finished/);
    expect(() => stream.feed(sourceOf(Buffer.alloc(0)), 0)).toThrow(/finished/);
  });
});
