/**
 * The 42 pastes of /proc/keys, /proc/key-users and `keyctl show` in ../shared/reference/published-samples/
 * (from bug reports, mailing lists and docs; 19 of them damaged). Parsing each never crashes, keeps every line
 * a kernel could have printed, and reports the rest as issues.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcKeys } from '../src/parser/proc-keys.js';
import { parseProcKeyUsers } from '../src/parser/proc-key-users.js';
import { hasPath, itWith } from './helpers/prerequisites.js';

const dir = new URL('../../shared/reference/published-samples/', import.meta.url);
const present = existsSync(dir);
const files = present ? readdirSync(dir).filter((f) => /\.(keys|key-users|keyctl-show)$/.test(f)).sort() : [];
const read = (f: string): string => readFileSync(new URL(f, dir), 'latin1');
const withSamples = itWith([hasPath(dir.pathname, 'the published samples (../shared/reference/published-samples)')]);

/** A line a kernel could print as one whole record: the kernel's widths, a complete summary for common types. */
const WIDTH5 = String.raw`(?: {4}\d| {3}(?:\d{2}|-\d)| {2}(?:\d{3}|-\d{2})| (?:\d{4}|-\d{3})|\d{5,}|-\d{4,})`; // %5d
const KERNEL_LINE = new RegExp(
  String.raw`^[0-9a-f]{8} [I-][R-][D-][Q-][U-][N-][i-]? ${WIDTH5} (?:perm|expd| {0,2}\d{1,3}[smhdw]|\d{4,}w) [0-9a-f]{8} ${WIDTH5} ${WIDTH5} ` +
    String.raw`(?:keyring   .*: (?:empty|\d+(?:\/\d+)?)|user      .*: \d+)$`,
);

/** Every physical line is a record's first line, inside a record, or an issue: nothing is silently dropped. */
function accounted(text: string): { lines: number; covered: Set<number> } {
  const { records, issues } = parseProcKeys(text);
  const covered = new Set<number>();
  for (const r of records) for (let l = r.line; l < r.line + r.lineCount; l++) covered.add(l);
  for (const i of issues) if (i.line > 0) covered.add(i.line);
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return { lines, covered };
}

describe('published samples', () => {
  withSamples('are all there (42)', () => {
    expect(files).toHaveLength(42);
  });

  describe.each(files)('%s', (file) => {
    it('never throws, and accounts for every line as a record or an issue', () => {
      const text = read(file);
      const { lines, covered } = accounted(text);
      for (let l = 1; l <= lines; l++) expect(covered.has(l), `line ${l}`).toBe(true);
      expect(() => parseProcKeyUsers(text)).not.toThrow();
    });

    if (file.endsWith('.keys'))
      it('keeps every line a kernel could have printed as a whole record', () => {
        const text = read(file).replace(/\r\n/g, '\n');
        const { records } = parseProcKeys(read(file));
        const starts = new Set(records.map((r) => r.line));
        // A kernel-shaped line is kept: as a record of its own, or visibly inside a record that carries it.
        const embedded = new Set(records.flatMap((r) => r.embeddedRecordLines));
        text.split('\n').forEach((line, k) => {
          if (KERNEL_LINE.test(line)) expect(starts.has(k + 1) || embedded.has(k + 1), `line ${k + 1}: ${line}`).toBe(true);
        });
      });
  });

  // Whole-sample expectations, read from the files and checked by hand.
  const cases: [string, (t: string) => void][] = [
    ['04-lkml-lseek-bug-full-output.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.issues).toEqual([]);
      expect(r.records.map((k) => k.description)).toHaveLength(7);
      expect(r.records.find((k) => k.description === 'invocation_id')).toMatchObject({ perm: { hex: '0b0b0000' }, summary: { kind: 'length', bytes: 16 } });
    }],
    ['11-ffwde-blog-keyrings-2023.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.issues).toEqual([]);
      expect(r.records.map((k) => [k.description, k.usage])).toEqual([['_uid.1000', 4], ['_uid_ses.1000', 1], ['_ses', 15], ['_ses', 376]]);
    }],
    ['13-ubuntuforums-mok-secureboot-asymmetri-CRLF.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.format.lineEndings).toBe('crlf');
      expect(r.issues).toEqual([]);
      expect(r.records).toHaveLength(6);
      expect(r.records[0]).toMatchObject({ type: { name: 'asymmetric' }, summary: { kind: 'asymmetric', subtype: 'X509.RSA', keyIdTail: '127af244' } });
    }],
    ['23-crun-1148-leaked-container-keyrings-PARTIAL.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.issues).toEqual([]);
      expect(new Set(r.records.map((k) => `${k.perm.hex} ${k.uid}`))).toEqual(new Set(['3f130000 23493']));
      expect(r.records).toHaveLength(8);
    }],
    ['26-cve-2016-0728-leaked-keyring-usage100.keys', (t) => {
      expect(parseProcKeys(t).records.map((k) => [k.description, k.usage])).toEqual([['leaked-keyring', 100]]);
    }],
    ['29-systemd-33308-keys-and-keyusers-concatenated-MIXED.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.records.map((k) => k.description)).toEqual(['_ses', '_uid.0']);
      expect(r.issues.map((i) => [i.line, i.code])).toEqual([[3, 'unparseable_line'], [4, 'unparseable_line'], [5, 'unparseable_line']]);
    }],
    ['37-anolis-sm2-ima-collapsed-ellipsized-MALFORMED.keys', (t) => {
      const r = parseProcKeys(t);
      expect(r.records).toEqual([]);
      expect(r.issues.every((i) => i.code === 'unparseable_line')).toBe(true);
    }],
    ['01-kernel-doc-core-rst-old-6flag.keys', (t) => {
      // Every line is indented by the documentation: no kernel prints that.
      const r = parseProcKeys(t);
      expect(r.records).toEqual([]);
      expect(r.issues).toHaveLength(t.split('\n').filter((l) => l !== '').length);
    }],
    ['28-systemd-32596-homed-5digit-uid.key-users', (t) => {
      const r = parseProcKeyUsers(t);
      expect(r.issues).toEqual([]);
      expect(r.users.map((u) => u.uid)).toEqual(expect.arrayContaining([0, 60240]));
    }],
    ['17-insights-core-near-quota.key-users', (t) => {
      const u = parseProcKeyUsers(t).users.find((x) => x.uid === 5090);
      expect(u).toMatchObject({ qnkeys: 192, maxkeys: 200 });
    }],
  ];
  describe.each(cases)('%s in detail', (file, check) => {
    withSamples('parses as the sample shows', () => check(read(file)));
  });
});
