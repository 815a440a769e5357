/**
 * Property tests for parseProcKeys / parseProcKeyUsers against files rendered the way security/keys/proc.c
 * prints them (test/helpers/line-generator.ts, written independently of the parser):
 *   - well-formed files (single-line and multi-line descriptions, LF and CRLF) parse back to the same values;
 *   - a description that wraps a whole forged record line never yields the forged key;
 *   - /proc/key-users lines parse back;
 *   - any byte string never throws, and every physical line is accounted for exactly once.
 *
 * The robustness properties run last, as they always have (the parser keeps no state between parses now:
 * scanner-leniency.test.ts, BUG A).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProcKeyUsers } from '../../../src/parser/proc-key-users.js';
import { formatKeyHeader, keyText, parseProcKeys, type KeyRecord, type ProcKeysParseResult } from '../../../src/parser/proc-keys.js';
import {
  type ExpectedKey,
  hex8,
  keyBodyArb,
  keyRecordArb,
  keysAccountingProblems,
  keysFileArb,
  keyUsersAccountingProblems,
  keyUsersFileArb,
  multiLineDescriptionArb,
  multiLineKeysFileArb,
  physicalLines,
  positiveKeyBodyArb,
  renderKeysFile,
  renderKeyUser,
  renderRecord,
  ascendingSerialsArb,
  withSerial,
} from '../../helpers/line-generator.js';

/** What the parser returned for a record, in the shape of the generator's expectations. */
function view(r: KeyRecord) {
  return {
    serial: r.serialNumber,
    serialHex: r.serial,
    flags: r.flagsRaw,
    usage: r.usage,
    expiry: { raw: r.expiry.raw, seconds: r.expiry.seconds },
    perm: r.perm.hex,
    uid: r.uid,
    gid: r.gid,
    type: r.type.name,
    typeColumn: r.type.raw.padEnd(9, ' '),
    description: r.description,
    summaryText: r.summaryText,
    summary: r.summary,
    text: keyText(r),
    header: formatKeyHeader(r),
    line: r.line,
    lineCount: r.lineCount,
    complete: r.complete,
    embeddedRecordLines: [...r.embeddedRecordLines],
  };
}

function expected(k: ExpectedKey) {
  return {
    serial: k.serial,
    serialHex: k.serialHex,
    flags: k.flags,
    usage: k.usage,
    expiry: k.expiry,
    perm: k.perm,
    uid: k.uid,
    gid: k.gid,
    type: k.type,
    typeColumn: k.typeColumn,
    description: k.description,
    summaryText: k.summaryText,
    summary: k.summary,
    text: k.text,
    header: k.header,
    line: k.line,
    lineCount: k.lineCount,
    complete: true,
    embeddedRecordLines: [] as number[],
  };
}

/** The decoded flag and perm objects agree with the printed columns. */
function decodedAgree(r: KeyRecord, k: ExpectedKey): void {
  const f = k.flags;
  expect(r.flags).toEqual({
    instantiated: f[0] === 'I',
    revoked: f[1] === 'R',
    dead: f[2] === 'D',
    inQuota: f[3] === 'Q',
    underConstruction: f[4] === 'U',
    negative: f[5] === 'N',
    invalidated: f[6] === 'i',
  });
  expect(r.perm.mask).toBe(Number.parseInt(k.perm, 16));
  expect(r.perm.invalidBits).toBe(0);
  expect(r.perm.possessor.view || r.perm.user.view || r.perm.group.view || r.perm.other.view).toBe(true);
  expect(r.type.raw).toBe(k.typeColumn.trimEnd());
}

/**
 * keysAccountingProblems() for a parse whose issues may be capped (parse-issue.ts MAX_ISSUES_KEPT: the first ones
 * kept, `issueCount` of them in all): lines after the last kept issue may have theirs among the ones not kept.
 */
function accountingProblems(text: string, r: ProcKeysParseResult): string[] {
  const problems = keysAccountingProblems(text, r);
  expect(r.issueCount).toBeGreaterThanOrEqual(r.issues.length);
  if (r.issueCount === r.issues.length) return problems;
  const lastKept = r.issues.reduce((m, i) => Math.max(m, i.line), 0);
  return problems.filter((p) => {
    const m = /^line (\d+) is in no record and has 0 issues$/.exec(p);
    return !(m !== null && Number(m[1]) > lastKept) && !/^0 no_trailing_newline issues, expected 1$/.test(p);
  });
}

/** A physical line's bytes as the parser sees them (CR removed under CRLF). */
function recordLines(text: string, crlf: boolean, r: KeyRecord): string[] {
  return physicalLines(text)
    .slice(r.line - 1, r.line - 1 + r.lineCount)
    .map((l) => (crlf ? l.slice(0, -1) : l));
}

/** `formatKeyHeader(r) + keyText(r)` is the record exactly as printed (key-record.ts). */
function reproducesBytes(text: string, crlf: boolean, r: KeyRecord): boolean {
  return formatKeyHeader(r) + keyText(r) === recordLines(text, crlf, r).join('\n');
}

/** numRuns, scaled by PROPERTY_RUNS_SCALE (e.g. 20 for a long bug hunt; the default keeps the file at ~1-2 s). */
const SCALE = Math.max(1, Number(process.env['PROPERTY_RUNS_SCALE'] ?? '1') || 1);
const runs = (n: number): { numRuns: number } => ({ numRuns: Math.round(n * SCALE) });
const RUNS = runs(150);

describe('parseProcKeys: well-formed files round-trip', () => {
  it('every single-line file rendered by the generator parses back to the same values, with no issues', () => {
    fc.assert(
      fc.property(keysFileArb(25), (file) => {
        const r = parseProcKeys(file.text);
        expect(r.issues).toEqual([]);
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
        r.records.forEach((rec, i) => decodedAgree(rec, file.keys[i] as ExpectedKey));
        expect(r.format).toEqual({ flagWidth: 7, permWidth: 8, lineEndings: 'lf', physicalLines: file.keys.length });
      }),
      RUNS,
    );
  });

  it('descriptions at the 4095-byte limit, with every byte value but NUL and "\\n", come back byte for byte', () => {
    const allBytes = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1))
      .filter((c) => c !== '\n')
      .join('');
    const long = (allBytes.repeat(17) + 'x'.repeat(4095)).slice(0, 4095);
    fc.assert(
      fc.property(positiveKeyBodyArb(['user', 'keyring', 'asymmetric', 'big_key', 'dns_resolver']), fc.integer({ min: 3, max: 0x7fffffff }), (body, serial) => {
        const file = renderKeysFile([withSerial({ ...body, description: long }, serial)]);
        const r = parseProcKeys(file.text);
        expect(r.issues).toEqual([]);
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
      }),
      runs(40),
    );
  });

  it('a CRLF copy of a well-formed file parses to the same values, with lineEndings "crlf"', () => {
    fc.assert(
      fc.property(keysFileArb(15), (file) => {
        const r = parseProcKeys(file.text.replace(/\n/g, '\r\n'));
        expect(r.issues).toEqual([]);
        expect(r.format.lineEndings).toBe('crlf');
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
      }),
      RUNS,
    );
  });
});

describe('parseProcKeys: multi-line descriptions', () => {
  it('a description containing "\\n" comes back as ONE record with the whole description, lineCount = its physical lines', () => {
    fc.assert(
      fc.property(multiLineKeysFileArb(12), (file) => {
        const r = parseProcKeys(file.text);
        expect(r.issues).toEqual([]);
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
        for (const k of file.keys) expect(k.lineCount).toBe(k.description.split('\n').length);
        expect(r.format.physicalLines).toBe(file.keys.reduce((n, k) => n + k.lineCount, 0));
      }),
      RUNS,
    );
  });

  it('the same under CRLF: lines are joined with "\\n" and the CRs the paste added are gone', () => {
    fc.assert(
      fc.property(multiLineKeysFileArb(8), (file) => {
        const r = parseProcKeys(file.text.replace(/\n/g, '\r\n'));
        expect(r.issues).toEqual([]);
        expect(r.format.lineEndings).toBe('crlf');
        expect(r.records.map(view)).toEqual(file.keys.map(expected));
      }),
      runs(80),
    );
  });
});

describe('parseProcKeys: a read cut short', () => {
  it('a file cut at any byte keeps every record before the cut line but one, and reports no_trailing_newline', () => {
    fc.assert(
      fc.property(keysFileArb(12), fc.nat(), (file, at) => {
        const cut = file.text.slice(0, 1 + (at % file.text.length));
        const r = parseProcKeys(cut);
        expect(accountingProblems(cut, r)).toEqual([]);
        const lastLine = physicalLines(cut).length;
        // The cut line may be absorbed by the record before it (a description may hold any text), so only the
        // records ending before that one are certain to be untouched.
        const safe = file.keys.filter((k) => k.line + k.lineCount - 1 < lastLine - 1);
        expect(r.records.slice(0, safe.length).map(view)).toEqual(safe.map(expected));
        expect(r.records.every((k) => k.line <= lastLine)).toBe(true);
        expect(r.issues.some((i) => i.code === 'no_trailing_newline')).toBe(!cut.endsWith('\n'));
      }),
      runs(150),
    );
  });
});

describe('parseProcKeys: forged record lines', () => {
  /**
   * One positive user key (the carrier) gets the description "innocent\n<forged>" where each forged line is a
   * complete, well-formed record line of uid 0 (naive forgery: the carrier's first physical line has no
   * summary, the kernel prints ": <datalen>" after the last forged line).
   */
  const forgeryArb = (maxForged: number) =>
    fc
      .tuple(
        ascendingSerialsArb(1, 12),
        fc.nat(),
        positiveKeyBodyArb(['user']),
        fc.array(fc.tuple(keyBodyArb(), fc.oneof(fc.integer({ min: 3, max: 0x7fffffff }), fc.constantFrom('below', 'above', 'after-next', 'max', 'same-as-next'))), { minLength: 1, maxLength: maxForged }),
      )
      .chain(([serials, pick, carrierBody, forged]) =>
        fc.array(keyBodyArb(), { minLength: serials.length, maxLength: serials.length }).map((bodies) => ({ serials, pick: pick % serials.length, carrierBody, forged, bodies })),
      )
      .map(({ serials, pick, carrierBody, forged, bodies }) => {
        const carrierSerial = serials[pick] as number;
        const next = serials[pick + 1];
        const forgedKeys = forged.map(([body, where]) => {
          let s: number;
          if (typeof where === 'number') s = where;
          else if (where === 'below') s = Math.max(3, carrierSerial - 1);
          else if (where === 'above') s = Math.min(0x7fffffff, carrierSerial + 1);
          else if (where === 'after-next') s = Math.min(0x7fffffff, (next ?? carrierSerial) + 1);
          else if (where === 'same-as-next') s = next ?? carrierSerial;
          else s = 0x7fffffff;
          return withSerial({ ...body, uid: 0 }, s);
        });
        // Naive forgery only: no forged line but the last may end like the carrier's summary (": <digits>"),
        // else the carrier would look complete there and the next forged line would be a record like any other
        // (indistinguishable from a real key following a multi-line description: not what this property is about).
        const forgedText = forgedKeys.map(renderRecord).map((l, i, all) => (i < all.length - 1 && /: \d{1,10}$/.test(l) ? `${l} [forged]` : l));
        const keys = bodies.map((b, i) => withSerial(i === pick ? { ...carrierBody, description: ['innocent', ...forgedText].join('\n') } : b, serials[i] as number));
        return { file: renderKeysFile(keys), pick, forgedSerials: forgedKeys.map((k) => k.serial) };
      })
      // the kernel takes at most 4095 bytes of description
      .filter(({ file, pick }) => (file.keys[pick] as ExpectedKey).description.length <= 4095);

  const checkForgery = ({ file, pick, forgedSerials }: { file: ReturnType<typeof renderKeysFile>; pick: number; forgedSerials: number[] }): void => {
    const r = parseProcKeys(file.text);
    const carrier = file.keys[pick] as ExpectedKey;
    const realSerials = new Set(file.keys.map((k) => k.serial));
    // no record is a forged key (unless the forger happened to pick a real key's serial: that one is real)
    for (const rec of r.records) if (!realSerials.has(rec.serialNumber)) expect.fail(`forged serial ${hex8(rec.serialNumber)} came back as a record`);
    for (const s of forgedSerials) if (!realSerials.has(s)) expect(r.records.some((rec) => rec.serialNumber === s)).toBe(false);
    // exactly the real records, the carrier whole
    expect(r.issues).toEqual([]);
    const forgedLines = Array.from({ length: carrier.lineCount - 1 }, (_, i) => carrier.line + 1 + i);
    expect(r.records.map(view)).toEqual(file.keys.map((k, i) => (i === pick ? { ...expected(k), embeddedRecordLines: forgedLines } : expected(k))));
    const c = r.records[pick] as KeyRecord;
    expect(c.uid).toBe(carrier.uid);
    expect(c.description.startsWith('innocent\n')).toBe(true);
  };

  it('one forged line: never returned as a record of its own; the carrier lists it in embeddedRecordLines', () => {
    fc.assert(fc.property(forgeryArb(1), checkForgery), runs(200));
  });

  it('several forged lines (none but the last ending like a summary): all folded into the carrier, all listed', () => {
    fc.assert(fc.property(forgeryArb(4), checkForgery), runs(100));
  });
});

describe('parseProcKeyUsers', () => {
  it('every file of "%5u: %5d %d/%d %d/%d %d/%d" lines parses back, no issues', () => {
    fc.assert(
      fc.property(keyUsersFileArb(40), (file) => {
        const r = parseProcKeyUsers(file.text);
        expect(r.issues).toEqual([]);
        expect(r.users).toEqual(file.users);
      }),
      runs(200),
    );
  });

  it('the same under CRLF', () => {
    fc.assert(
      fc.property(keyUsersFileArb(10).filter((f) => f.users.length > 0), (file) => {
        const r = parseProcKeyUsers(file.text.replace(/\n/g, '\r\n'));
        expect(r.issues).toEqual([]);
        expect(r.users).toEqual(file.users);
      }),
      runs(80),
    );
  });

  it('never throws, and every physical line is one user or one issue', () => {
    const anyByte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
    const line = fc.oneof(
      fc.string({ unit: anyByte, maxLength: 60 }),
      keyUsersFileArb(3).map((f) => f.text.replace(/\n$/, '')),
      fc.tuple(keyUsersFileArb(1).filter((f) => f.users.length === 1), fc.nat(), anyByte).map(([f, at, b]) => {
        const t = f.text.replace(/\n$/, '');
        const p = at % (t.length + 1);
        return t.slice(0, p) + b + t.slice(p + 1);
      }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, trailing) => {
        const text = lines.join('\n') + (trailing && lines.length > 0 ? '\n' : '');
        const r = parseProcKeyUsers(text);
        expect(keyUsersAccountingProblems(text, r)).toEqual([]);
      }),
      runs(300),
    );
  });

  it('a line rendered by renderKeyUser with a uid over 32 bits is an issue, not a user', () => {
    const r = parseProcKeyUsers(renderKeyUser({ uid: 4294967296, usage: 1, nkeys: 1, nikeys: 1, qnkeys: 1, maxkeys: 200, qnbytes: 9, maxbytes: 20000 }));
    expect(r.users).toEqual([]);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[1, 'bad_number']]);
  });
});

// ------------------------------------------------------------------------------------------------------------
// Robustness: any bytes. Kept last in this file (see the header comment).

const anyByte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));

/** One damaged rendering of a real record line: cut, a byte replaced/inserted/deleted, indented, a CR added. */
const damagedLineArb = fc
  .tuple(keyRecordArb(), fc.constantFrom('cut', 'replace', 'insert', 'delete', 'indent', 'tab', 'cr', 'collapse'), fc.nat(), anyByte)
  .map(([k, op, at, b]) => {
    const t = renderRecord(k);
    const p = at % (t.length + 1);
    switch (op) {
      case 'cut':
        return t.slice(0, p);
      case 'replace':
        return t.slice(0, p) + b + t.slice(p + 1);
      case 'insert':
        return t.slice(0, p) + b + t.slice(p);
      case 'delete':
        return t.slice(0, p) + t.slice(p + 1);
      case 'indent':
        return `    ${t}`;
      case 'tab':
        return `\t${t.slice(1)}`;
      case 'cr':
        return `${t}\r`;
      default:
        return t.replace(/ +/g, ' ');
    }
  });

/** Pieces of text a /proc/keys paste can be made of; joined with "\n" they give files real and broken. */
const pieceArb = fc.oneof(
  { weight: 4, arbitrary: keyRecordArb().map(renderRecord) },
  { weight: 2, arbitrary: keyRecordArb(multiLineDescriptionArb).map(renderRecord) },
  { weight: 3, arbitrary: damagedLineArb },
  { weight: 2, arbitrary: fc.string({ unit: anyByte, maxLength: 80 }) },
  { weight: 1, arbitrary: keyUsersFileArb(2).map((f) => f.text.replace(/\n$/, '')) },
  { weight: 1, arbitrary: fc.constantFrom('', '\r', ' ', '...', 'SERIAL   FLAGS  USAGE EXPY PERM     UID   GID   TYPE      DESCRIPTION: SUMMARY') },
);

const mixedFileArb = fc
  .tuple(fc.array(pieceArb, { maxLength: 14 }), fc.boolean(), fc.boolean(), fc.boolean())
  .map(([pieces, sorted, trailing, crlf]) => {
    // Sometimes the record-like pieces come in ascending serial order, as one read would print them.
    const ps = sorted ? [...pieces].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : pieces;
    const nl = crlf ? '\r\n' : '\n';
    return ps.join(nl) + (trailing && ps.length > 0 ? nl : '');
  });

describe('parseProcKeys: any input', () => {
  it('never throws on any byte string, and accounts for every physical line exactly once', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyByte, maxLength: 600 }), (text) => {
        const r = parseProcKeys(text);
        expect(accountingProblems(text, r)).toEqual([]);
        expect(r.format.physicalLines).toBe(physicalLines(text).length);
      }),
      runs(400),
    );
  });

  it('never throws on mixes of real, damaged and garbage lines, and accounts for every physical line exactly once', () => {
    fc.assert(
      fc.property(mixedFileArb, (text) => {
        const r = parseProcKeys(text);
        expect(accountingProblems(text, r)).toEqual([]);
        expect(r.format.physicalLines).toBe(physicalLines(text).length);
      }),
      runs(300),
    );
  });

  it('every record it returns is the exact bytes of its lines: formatKeyHeader(r) + keyText(r)', () => {
    // Includes lines with leading zeros or "-0" in numeric columns: they are not printf output, so they must not
    // become records (scanner-leniency.test.ts, BUG B), and any record that is returned reproduces its bytes.
    fc.assert(
      fc.property(mixedFileArb, (text) => {
        const r = parseProcKeys(text);
        const crlf = r.format.lineEndings === 'crlf';
        for (const rec of r.records) expect(reproducesBytes(text, crlf, rec), `record at line ${rec.line}`).toBe(true);
      }),
      runs(300),
    );
  });

  it('records never overlap and serials only ascend, whatever order the lines come in', () => {
    fc.assert(
      fc.property(fc.array(keyRecordArb(), { minLength: 1, maxLength: 20 }), (keys) => {
        const text = keys.map((k) => `${renderRecord(k)}\n`).join('');
        const r = parseProcKeys(text);
        expect(accountingProblems(text, r)).toEqual([]);
        // A line whose serial is not above the open record's is folded into it, visibly.
        const folded = new Set(r.records.flatMap((rec) => rec.embeddedRecordLines));
        const starts = new Set(r.records.map((rec) => rec.line));
        const issueLines = new Set(r.issues.map((i) => i.line));
        // Issues are capped (the first ones kept): a line after the last kept one may have its issue among the others.
        const lastKept = r.issueCount > r.issues.length ? Math.max(...r.issues.map((i) => i.line)) : Infinity;
        keys.forEach((_, i) => expect(starts.has(i + 1) || folded.has(i + 1) || issueLines.has(i + 1) || i + 1 > lastKept, `line ${i + 1}`).toBe(true));
      }),
      runs(200),
    );
  });
});
