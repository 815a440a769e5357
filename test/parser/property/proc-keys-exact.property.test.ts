/**
 * Property tests of the exact parse: /proc/keys with the kernel's answers (KEYCTL_DESCRIBE per serial), files
 * rendered as security/keys/proc.c prints them (test/helpers/line-generator.ts). Descriptions here hold whole
 * forged record lines, copies of other keys' lines included: with the kernel's answers none is ever a record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedAnswers, type KeyAnswer, type KernelAnswers } from '../../../src/parser/key-answer.js';
import { parseProcKeys, streamProcKeys, type KeyRecord, type ProcKeysParseResult } from '../../../src/parser/proc-keys.js';
import { LOOKAHEAD } from '../../../src/parser/proc-keys-exact.js';
import { createReadMemo } from '../../../src/parser/read-memo.js';
import { ascendingSerialsArb, bytesArb, type ExpectedKey, keyBodyArb, renderKeysFile, renderRecord, withSerial } from '../../helpers/line-generator.js';

/** What the kernel answers about a generated key: a dead key (revoked, expired, invalidated) is not described. */
function answerOf(k: ExpectedKey): KeyAnswer {
  if (k.flags[1] === 'R') return { serial: k.serial, errno: 'EKEYREVOKED' };
  if (k.expiry.raw === 'expd') return { serial: k.serial, errno: 'EKEYEXPIRED' };
  if (k.flags[6] === 'i') return { serial: k.serial, errno: 'ENOKEY' };
  return { serial: k.serial, errno: null, type: k.type, uid: k.uid, gid: k.gid, perm: Number.parseInt(k.perm, 16), description: k.description };
}

function answersOf(keys: readonly ExpectedKey[], ...changed: KeyAnswer[]): KernelAnswers {
  return storedAnswers('kernel', [...keys.map(answerOf), ...changed]);
}

const isDead = (k: ExpectedKey): boolean => answerOf(k).errno !== null;

/**
 * The kernel answers ENOKEY for an invalidated key, as for a key that does not exist: right after a record the
 * kernel confirmed the line must be the kernel's own, and it is counted; after a dead key (whose length the
 * kernel did not give) it may be text of that key's description, and is read as such. Files with that
 * adjacency are left to the example tests.
 */
const ambiguous = (keys: readonly ExpectedKey[]): boolean =>
  keys.some((k, i) => answerOf(k).errno === 'ENOKEY' && i > 0 && isDead(keys[i - 1] as ExpectedKey));

/** What a record is, compared with what the generator made. */
function view(r: KeyRecord) {
  return { serial: r.serialNumber, uid: r.uid, gid: r.gid, type: r.type.name, description: r.description, summaryText: r.summaryText, line: r.line, lineCount: r.lineCount };
}
function expected(k: ExpectedKey) {
  return { serial: k.serial, uid: k.uid, gid: k.gid, type: k.type, description: k.description, summaryText: k.summaryText, line: k.line, lineCount: k.lineCount };
}

/**
 * A file whose live keys' descriptions may carry forged record lines: made-up keys, or exact copies of the lines
 * of other keys in the file (serial, columns and text). Dead keys keep their descriptions as made: the kernel
 * does not describe them, and their forged lines are left to the example and attack tests.
 */
const forgedFile = (minKeys: number, maxKeys: number) => fc
  .tuple(ascendingSerialsArb(minKeys, maxKeys), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(), bytesArb(0, 40), fc.boolean()), { maxLength: 6 }))
  .chain(([serials, seed, forgeries]) =>
    fc.tuple(fc.constant(serials), fc.array(keyBodyArb(), { minLength: serials.length, maxLength: serials.length }), fc.constant(seed), fc.constant(forgeries), keyBodyArb()),
  )
  .map(([serials, bodies, _seed, forgeries, madeUp]) => {
    const plain = bodies.map((b, i) => withSerial(b, serials[i] as number));
    const keys = [...plain];
    for (const [carrierPick, victimPick, lead, copy] of forgeries) {
      const c = carrierPick % keys.length;
      const carrier = keys[c] as ExpectedKey;
      if (isDead(carrier) || carrier.type === '.request_key_auth' || carrier.description === '') continue;
      const victim = copy ? (plain[victimPick % plain.length] as ExpectedKey) : withSerial(madeUp, 3 + (victimPick % 0x7ffffff0));
      const description = `${carrier.description}\n${lead}${copy ? '' : ''}${renderRecord(victim)}`.slice(0, 4095);
      keys[c] = withSerial({ ...carrier, description }, carrier.serial);
    }
    return renderKeysFile(keys);
  });
const forgedFileArb = forgedFile(1, 12);

describe('parseProcKeys with the kernel answers', () => {
  it('parses exactly the kernel keys, with their exact descriptions, however many forged lines the descriptions hold', () => {
    fc.assert(
      fc.property(forgedFileArb, (file) => {
        fc.pre(!ambiguous(file.keys));
        const r = parseProcKeys(file.text, answersOf(file.keys));
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
        expect(r.unconfirmed).toEqual([]);
        expect(r.issues).toEqual([]);
        expect(r.confirmedBy).toBe('kernel');
        for (const rec of r.records) expect(rec.confirmation).toBe(isDead(file.keys.find((k) => k.serial === rec.serialNumber) as ExpectedKey) ? 'dead' : 'described');
      }),
      { numRuns: 300 },
    );
  });

  it('with a serving exporter\'s memo, reads the next read (keys gone, a usage count changed) as a first read does, asking only about what changed', () => {
    fc.assert(
      fc.property(forgedFileArb, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), fc.nat(), (file, keep, bump) => {
        const kept = file.keys.filter((_k, i) => keep[i] !== false);
        const b = bump % Math.max(1, kept.length);
        const next = kept.map((k, i) => (i === b ? withSerial({ ...k, usage: k.usage + 1 }, k.serial) : k));
        fc.pre(!ambiguous(file.keys) && !ambiguous(next));
        const second = renderKeysFile(next);
        const memo = createReadMemo();
        parseProcKeys(file.text, answersOf(file.keys), memo);
        const asked: number[] = [];
        const answers = answersOf(next);
        const counted: KernelAnswers = { ...answers, answer: (s) => (asked.push(s), answers.answer(s)) };
        const withMemo = parseProcKeys(second.text, counted, memo);
        const plain = parseProcKeys(second.text, answersOf(next));
        expect(withMemo.records).toEqual(plain.records);
        expect(withMemo.unconfirmed).toEqual(plain.unconfirmed);
        expect(withMemo.issues).toEqual(plain.issues);
        // Without a dead key (after which the answers of now are asked for), nothing is asked: every key was
        // described by the first read, and the one whose usage count changed shows the columns it was described with.
        if (!next.some(isDead)) expect(asked).toEqual([]);
        // The memo holds the second read's records, and nothing of the first's.
        expect(memo.records).toBe(withMemo.records);
      }),
      { numRuns: 200 },
    );
  });

  it('parses a file fed as it is read, a window at a time, as it parses the whole file, with a memo or without', () => {
    /** The file fed as the reader thread hands it over: each window from where the parse stopped to the next cut. */
    const streamed = (text: string, answers: KernelAnswers, cuts: number[], memo?: ReturnType<typeof createReadMemo>): ProcKeysParseResult => {
      const stream = streamProcKeys(answers, memo);
      let from = 0;
      for (const cut of [...cuts.map((c) => c % (text.length + 1)).sort((x, y) => x - y), text.length]) {
        if (cut < from) continue;
        const next = stream.push(text.slice(from, cut), from, cut === text.length);
        expect(next).toBeGreaterThanOrEqual(from);
        from = next;
      }
      return stream.result();
    };
    let windowed = 0;
    fc.assert(
      fc.property(forgedFile(24, 60), fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (file, cuts, keep) => {
        fc.pre(!ambiguous(file.keys));
        if (file.text.length > LOOKAHEAD) windowed++;
        expect(streamed(file.text, answersOf(file.keys), cuts)).toEqual(parseProcKeys(file.text, answersOf(file.keys)));
        // A second read with the memo of the first, fed in windows, as a serving exporter's.
        const next = renderKeysFile(file.keys.filter((_k, i) => keep[i] !== false));
        fc.pre(!ambiguous(next.keys));
        const memo = createReadMemo();
        streamed(file.text, answersOf(file.keys), cuts, memo);
        expect(streamed(next.text, answersOf(next.keys), cuts, memo)).toEqual(parseProcKeys(next.text, answersOf(next.keys)));
      }),
      { numRuns: 60 },
    );
    // Most files are longer than a window's lookahead, so that windows end before the file does.
    expect(windowed).toBeGreaterThan(20);
  });

  it('never takes a forged line for a record: each is an embedded line of the key whose description holds it', () => {
    fc.assert(
      fc.property(forgedFileArb, (file) => {
        const r = parseProcKeys(file.text, answersOf(file.keys));
        const lines = new Set(r.records.map((k) => k.line));
        for (const k of r.records) for (const l of k.embeddedRecordLines) expect(lines.has(l)).toBe(false);
        const forged = file.keys.flatMap((k) => k.description.split('\n').slice(1).filter((l) => /^[0-9a-f]{8} [IRDQUNi-]{7} /.test(l)));
        expect(r.records.reduce((n, k) => n + k.embeddedRecordLines.length, 0)).toBeGreaterThanOrEqual(forged.length);
      }),
      { numRuns: 200 },
    );
  });

  it('reports a key that vanished before the kernel was asked, and counts the rest', () => {
    fc.assert(
      fc.property(forgedFileArb, fc.nat(), (file, pick) => {
        const at = pick % file.keys.length;
        const gone = file.keys[at] as ExpectedKey;
        const before = file.keys[at - 1];
        const after = file.keys[at + 1];
        // After a dead key the line could be text of its description: then it is read as such (the example tests).
        // A forged line naming the vanished serial (a made-up record that happens to share it) is left to the
        // example tests: with its key gone, the kernel can no longer tell the two apart.
        const named = file.text.split('\n').filter((l) => l.startsWith(`${gone.serialHex} `)).length;
        fc.pre(named === 1 && !isDead(gone) && (before === undefined || !isDead(before)) && (after === undefined || answerOf(after).errno === null) && !ambiguous(file.keys));
        const answers = answersOf(file.keys, { serial: gone.serial, errno: 'ENOKEY' });
        const r = parseProcKeys(file.text, answers);
        expect(r.unconfirmed).toEqual([{ serial: gone.serialHex, uid: gone.uid, line: gone.line, reason: 'ENOKEY' }]);
        expect(r.records.map(view)).toEqual(file.keys.filter((k) => k !== gone).map(expected));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws, on any bytes with any answers, and keeps its issues bounded', () => {
    const answerArb: fc.Arbitrary<KeyAnswer> = fc.oneof(
      fc.record({ serial: fc.integer({ min: 1, max: 0x7fffffff }), errno: fc.constantFrom('ENOKEY', 'EKEYEXPIRED', 'EKEYREVOKED', 'EACCES') }),
      fc.record({
        serial: fc.integer({ min: 1, max: 0x7fffffff }),
        errno: fc.constant(null),
        type: fc.constantFrom('user', 'keyring', '.request_key_auth', 'asymmetric', 'logon'),
        uid: fc.integer({ min: -1, max: 70000 }),
        gid: fc.integer({ min: -1, max: 70000 }),
        perm: fc.integer({ min: 0, max: 0x3f3f3f3f }),
        description: bytesArb(0, 200),
      }),
    );
    fc.assert(
      fc.property(fc.oneof(bytesArb(0, 3000), forgedFileArb.map((f) => f.text)), fc.array(answerArb, { maxLength: 20 }), (text, list) => {
        const r = parseProcKeys(text, storedAnswers('kernel', list));
        expect(r.issues.length).toBeLessThanOrEqual(10);
        expect(r.issueCount).toBeGreaterThanOrEqual(r.issues.length);
      }),
      { numRuns: 300 },
    );
  });

  it('parses a flood of newlines: 1,000 keys of 4,000 newlines each, every one a record', () => {
    const keys: ExpectedKey[] = [];
    const first = renderKeysFile([]);
    expect(first.text).toBe('');
    const body = { ...(fc.sample(keyBodyArb(), { numRuns: 1, seed: 7 })[0] as Parameters<typeof withSerial>[0]) };
    for (let i = 0; i < 1000; i++) keys.push(withSerial({ ...body, type: 'user', typeColumn: 'user     ', flags: 'I--Q---', expiry: { raw: 'perm', seconds: null }, description: `x${'\n'.repeat(4000)}`, summaryText: ': 1', summary: { kind: 'length', bytes: 1 } }, 100 + i));
    const file = renderKeysFile(keys);
    const r = parseProcKeys(file.text, answersOf(file.keys));
    expect(r.records.length).toBe(1000);
    expect(r.issueCount).toBe(0);
  });
});
