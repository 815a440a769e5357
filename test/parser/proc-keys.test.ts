import { describe, expect, it } from 'vitest';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { renderKeyLine, renderKeys } from '../helpers/render-key-line.js';

const summaryOf = (text: string) => parseProcKeys(text).records.map((r) => ({ serial: r.serial, description: r.description, line: r.line, lineCount: r.lineCount, embedded: r.embeddedRecordLines }));

describe('parseProcKeys: single-line records', () => {
  it('decodes every column of a current-kernel line', () => {
    const { records, issues, format } = parseProcKeys('2a5cd6ff I--Q---     1  45s 3f010000  1000  1000 user      api:token: 64\n');
    expect(issues).toEqual([]);
    expect(format).toEqual({ flagWidth: 7, permWidth: 8, lineEndings: 'lf', physicalLines: 1 });
    expect(records[0]).toMatchObject({
      serial: '2a5cd6ff',
      serialNumber: 0x2a5cd6ff,
      flagsRaw: 'I--Q---',
      usage: 1,
      expiry: { raw: '45s', kind: 'timeout', seconds: 45 },
      perm: { hex: '3f010000' },
      uid: 1000,
      gid: 1000,
      type: { raw: 'user', name: 'user' },
      description: 'api:token',
      summary: { kind: 'length', bytes: 64 },
      summaryText: ': 64',


      line: 1,
      lineCount: 1,
      embeddedRecordLines: [],
      complete: true,
    });
  });

  it('keeps descriptions byte for byte: runs of spaces, leading and trailing spaces, tabs, colons, non-UTF-8', () => {
    const descs = ['  lead', 'trail  ', 'a   b', 'tab\there', 'x: 12: y', '\xff\xfe\x80', 'ключ'.normalize(), ';semi;'];
    const text = renderKeys(descs.map((d, i) => ({ serial: 0x100 + i, text: `${d}: 5` })));
    const { records, issues } = parseProcKeys(text);
    expect(issues).toEqual([]);
    expect(records.map((r) => r.description)).toEqual(descs);
  });

  it('accepts the longest description (4095 bytes)', () => {
    const d = 'x'.repeat(4095);
    const { records, issues } = parseProcKeys(renderKeys([{ serial: 5, text: `${d}: 1` }]));
    expect(issues).toEqual([]);
    expect(records[0]?.description).toBe(d);
  });

  it('follows widened columns (usage, uid, gid, expiry beyond their minimum widths)', () => {
    const line = '450781ca I--Q--- 123456 7101w 3f010000 1234567890 -1294967296 user      ad:user: 3';
    const { records, issues } = parseProcKeys(line + '\n');
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ usage: 123456, expiry: { raw: '7101w' }, uid: 1234567890, gid: -1294967296, description: 'ad:user' });
  });

  it('accepts records with nothing after the type column (ceph, released auth keys)', () => {
    const { records, issues } = parseProcKeys('350781ba IR-----     1 expd 1b010000  1000  1000 .request_ \n');
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({ type: { name: '.request_key_auth' }, description: '', summary: null, complete: true });
  });

  it('parses legacy formats: 6 flags, gid -1, N/M keyring summaries, negative keys with a summary', () => {
    const text = [
      '00000002 I-----     2 perm 1f3f0000     0    -1 keyring   _uid.0: 1/4',
      '00000893 I--Q-N     1  35s 1f3f0000     0     0 user      metal:silver: 0',
    ].join('\n') + '\n';
    const { records, issues, format } = parseProcKeys(text);
    expect(issues).toEqual([]);
    expect(format).toMatchObject({ flagWidth: 6, permWidth: 8 });
    expect(records.map((r) => [r.serial, r.flagsRaw, r.gid, r.description, r.summary])).toEqual([
      ['00000002', 'I-----', -1, '_uid.0', { kind: 'keyring', links: 1, capacity: 4 }],
      // ≤2.6.38 printed ": 0" for negative keys; today's parser does not read a negative key's summary.
      ['00000893', 'I--Q-N', 0, 'metal:silver: 0', null],
    ]);
  });

  it('parses the 6-digit perm of kernels before 2.6.14', () => {
    const { records, issues, format } = parseProcKeys('000004d2 I--Q--     1 perm 1f0000    32    -1 keyring   _uid.32: 1/4\n');
    expect(issues).toEqual([]);
    expect(format.permWidth).toBe(6);
    expect(records[0]).toMatchObject({ perm: { hex: '1f0000', mask: 0x1f0000 }, uid: 32, gid: -1 });
  });

  it('a line of another format than the first line of the read is text, not a record', () => {
    const text = [
      '00000002 I-----     2 perm 1f3f0000     0    -1 keyring   _uid.0: 1/4',
      '00000893 I--Q-N     1  35s 1f3f0000     0     0 user      metal:silver: 0',
      '000004d2 I--Q--     1 perm 1f0000    32    -1 keyring   _uid.32: 1/4',
    ].join('\n') + '\n';
    const { records } = parseProcKeys(text);
    expect(records.map((r) => [r.serial, r.embeddedRecordLines])).toEqual([
      ['00000002', []],
      ['00000893', [3]],
    ]);
  });

  it('strips CRLF line endings when every line has one', () => {
    const text = renderKeyLine({ serial: 1, type: 'keyring', text: '_ses: 1' }) + '\r\n' + renderKeyLine({ serial: 2, text: 'k: 1' }) + '\r\n';
    const { records, issues, format } = parseProcKeys(text);
    expect(format.lineEndings).toBe('crlf');
    expect(issues).toEqual([]);
    expect(records.map((r) => r.description)).toEqual(['_ses', 'k']);
  });

  it('keeps a lone CR that belongs to a description', () => {
    const text = renderKeys([{ serial: 1, text: 'cr\r: 3' }, { serial: 2, text: 'k: 1' }]);
    expect(parseProcKeys(text).records[0]?.description).toBe('cr\r');
  });

  it('rejects padding a kernel never prints, and reports the line', () => {
    const collapsed = '3f3d898f I--Q--- 100 perm 3f3f0000 0 0 keyring leaked-keyring: empty\n';
    const { records, issues } = parseProcKeys(collapsed);
    expect(records).toEqual([]);
    expect(issues).toEqual([{ code: 'unparseable_line', file: 'keys', line: 1, message: expect.stringContaining('does not match') }]);
  });

  it('keeps the first 10 issues of a file and counts them all', () => {
    const r = parseProcKeys('not a record\n'.repeat(15));
    expect(r.issues.map((i) => i.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.issueCount).toBe(15);
  });

  it('reports a file cut short', () => {
    const { issues } = parseProcKeys(renderKeyLine({ serial: 1, text: 'k: 1' }));
    expect(issues.map((i) => i.code)).toEqual(['no_trailing_newline']);
  });

  it('never throws and returns nothing for empty input', () => {
    expect(parseProcKeys('')).toEqual({
      records: [],
      unconfirmed: [],
      trustKeyrings: [],
      issues: [],
      issueCount: 0,
      format: { flagWidth: null, permWidth: null, lineEndings: 'lf', physicalLines: 0 },
      confirmedBy: null,
    });
  });
});

describe('parseProcKeys: multi-line descriptions and forged lines', () => {
  it('rebuilds a description that contains newlines', () => {
    const text = renderKeys([{ serial: 0x10, text: 'first\nsecond line\n third: 7' }, { serial: 0x20, type: 'keyring', text: '_ses: 1' }]);
    expect(summaryOf(text)).toEqual([
      { serial: '00000010', description: 'first\nsecond line\n third', line: 1, lineCount: 3, embedded: [] },
      { serial: '00000020', description: '_ses', line: 4, lineCount: 1, embedded: [] },
    ]);
  });

  const forged = renderKeyLine({ serial: 0x7f000000, flags: 'I--Q---', perm: '3f3f3f3f', uid: 0, gid: 0, type: 'keyring', text: '_uid.0' });

  it('naive forgery: a description that wraps a whole record is one record carrying it', () => {
    // The carrier's first physical line has no summary, so what follows is its description until ": 5".
    const text = renderKeys([
      { serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `innocent\n${forged}: 5` },
      { serial: 0x7f100000, type: 'keyring', uid: 0, gid: 0, text: '_ses: 1' },
    ]);
    const { records, issues } = parseProcKeys(text);
    expect(issues).toEqual([]);
    expect(records.map((r) => r.serial)).toEqual(['10000000', '7f100000']);
    expect(records[0]).toMatchObject({ description: `innocent\n${forged}`, summary: { kind: 'length', bytes: 5 }, lineCount: 2, embeddedRecordLines: [2] });
  });

  it('a record-like line whose serial is not ascending is text of the record before it', () => {
    const early = renderKeyLine({ serial: 0x00000042, uid: 0, gid: 0, type: 'keyring', text: '_uid.0' });
    const text = renderKeys([
      { serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `looks done: 1\n${early}: 5` },
    ]);
    const { records } = parseProcKeys(text);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ serial: '10000000', embeddedRecordLines: [2], summary: { kind: 'length', bytes: 5 } });
  });

  it.each([
    ['a 6-flag line in a 7-flag file', renderKeyLine({ serial: 0x20000000, flags: 'I--Q--', text: 'x' })],
    ['bits KEYCTL_SETPERM rejects', renderKeyLine({ serial: 0x20000000, perm: 'ff3f3f3f', text: 'x' })],
    ['no view bit for anyone', renderKeyLine({ serial: 0x20000000, perm: '3e3e3e3e', text: 'x' })],
    ['N without I', renderKeyLine({ serial: 0x20000000, flags: '---Q-N-', text: 'x' })],
    ['revoked but not expd', renderKeyLine({ serial: 0x20000000, flags: 'IR-Q---', text: 'x' })],
  ])('%s is text, not a record', (_why, line) => {
    const text = renderKeys([{ serial: 0x10000000, text: `ok: 1\n${line}: 3` }]);
    const { records } = parseProcKeys(text);
    expect(records).toHaveLength(1);
    expect(records[0]?.embeddedRecordLines).toEqual([2]);
  });

  it('a careful forgery (every line complete, serial in order) stays a record here; key-trust judges it', () => {
    const careful = renderKeyLine({ serial: 0x10000001, uid: 0, gid: 0, perm: '3f3f0000', text: 'evil' });
    const text = renderKeys([{ serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `innocent: 5\n${careful}: 5` }]);
    const { records, issues } = parseProcKeys(text);
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.serial, r.uid, r.description])).toEqual([
      ['10000000', 40001, 'innocent'],
      ['10000001', 0, 'evil'],
    ]);
  });

  it('a damaged record that never prints its summary gives back the records it swallowed', () => {
    // e-mail wrapping split a positive key's line; the records after it are real.
    const text = renderKeys([
      { serial: 0x100, type: 'asymmetric', perm: '1f030000', uid: 0, gid: 0, flags: 'I------', text: 'ima:' },
      'signing key: edc4: X509.rsa',
      '87deb3bf []',
      { serial: 0x200, type: 'keyring', text: '_ses: 1' },
      { serial: 0x300, type: 'keyring', text: '_ses: 2' },
    ]);
    const { records, issues } = parseProcKeys(text);
    expect(records.map((r) => [r.serial, r.lineCount, r.complete])).toEqual([
      ['00000100', 1, false],
      ['00000200', 1, true],
      ['00000300', 1, true],
    ]);
    expect(issues.map((i) => [i.line, i.code])).toEqual([
      [1, 'missing_summary'],
      [2, 'unparseable_line'],
      [3, 'unparseable_line'],
    ]);
  });

  it('lines after a complete record that make it incomplete are reported, not swallowed', () => {
    const text = renderKeys([{ serial: 0x100, type: 'keyring', text: '_ses: 1' }, '    0:    47 46/46 30/1000000 577/25000000']);
    const { records, issues } = parseProcKeys(text);
    expect(records.map((r) => [r.description, r.lineCount])).toEqual([['_ses', 1]]);
    expect(issues.map((i) => [i.line, i.code])).toEqual([[2, 'unparseable_line']]);
  });

  it('reports lines before the first record', () => {
    const text = 'SERIAL   FLAGS  USAGE EXPY PERM     UID   GID   TYPE      DESCRIPTION: SUMMARY\n' + renderKeys([{ serial: 1, text: 'k: 1' }]);
    const { records, issues } = parseProcKeys(text);
    expect(records.map((r) => r.line)).toEqual([2]);
    expect(issues.map((i) => [i.line, i.code])).toEqual([[1, 'unparseable_line']]);
  });
});

describe('parseProcKeys: near-record continuation lines', () => {
  const keyring = '00000001 I--Q---     1 perm 3f010000  1000  1000 keyring   ';
  it('a continuation that starts like a record but is re-spaced stays in the description, with an issue', () => {
    const text = `${keyring}a: empty\n00000002 I--Q--- 1 perm 3f010000 1000 1000 user b: 1\n`;
    const r = parseProcKeys(text);
    expect(r.records).toHaveLength(1);
    expect(r.records[0]).toMatchObject({ line: 1, lineCount: 2, embeddedRecordLines: [] });
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[2, 'near_record_line']]);
    expect(r.issues[0]?.message).toContain('key at line 1');
  });
  it('ordinary continuation text raises nothing', () => {
    const r = parseProcKeys(`${keyring}a\nsecond line: empty\n`);
    expect(r.records).toHaveLength(1);
    expect(r.issues).toEqual([]);
  });
  it('a line cut back out of a record is one unparseable_line, not also a near_record_line', () => {
    // the keyring ends with its summary on line 1; line 2 cannot continue it (a complete record prints nothing more
    // unless its description has a newline, and then it would end with a summary again)
    const r = parseProcKeys(`${keyring}a: empty\n00000002 I--Q--- 1 perm\n`);
    expect(r.records.map((k) => [k.line, k.lineCount])).toEqual([[1, 1]]);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[2, 'unparseable_line']]);
  });
});
