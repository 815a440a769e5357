/**
 * Property tests (fast-check): the parser never throws and loses nothing on any input; every record rendered the
 * way security/keys/proc.c prints it parses back to the same values; descriptions with newlines are rebuilt;
 * a description that wraps a whole forged line is never counted as the key it pretends to be.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatKeyExpiry } from '../../src/parser/key-expiry.js';
import { parseProcKeyUsers } from '../../src/parser/proc-key-users.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';

const right = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

interface Rendered {
  serial: number;
  flags: string;
  usage: number;
  expiry: string;
  perm: string;
  uid: number;
  gid: number;
  type: string;
  description: string;
  summaryText: string;
}

/** Positive keys of types with a summary, and negative / under-construction keys, as the kernel prints them. */
const record = (descriptionChars: fc.Arbitrary<string>): fc.Arbitrary<Omit<Rendered, 'serial'>> =>
  fc
    .record({
      kind: fc.constantFrom('keyring', 'user', 'logon', 'negative', 'construction', 'revoked'),
      usage: fc.integer({ min: 0, max: 2_000_000 }),
      remaining: fc.option(fc.integer({ min: 1, max: 0xffffffff }), { nil: null }),
      // a perm a kernel can hold: bits within 0x3f3f3f3f and at least one view bit
      permBytes: fc.tuple(fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f })),
      uid: fc.integer({ min: -2147483648, max: 2147483647 }),
      gid: fc.oneof(fc.constant(-1), fc.constant(65534), fc.integer({ min: 0, max: 4_000_000 })),
      inQuota: fc.boolean(),
      description: fc.string({ unit: descriptionChars, minLength: 1, maxLength: 200 }),
      payload: fc.integer({ min: 0, max: 32767 }),
      links: fc.integer({ min: 0, max: 5000 }),
    })
    .map((r) => {
      const [a, b, c, d] = r.permBytes;
      const perm = ((((a | 1) << 24) | (b << 16) | (c << 8) | d) >>> 0).toString(16).padStart(8, '0');
      const q = r.inQuota ? 'Q' : '-';
      let flags = `I--${q}---`;
      let type = r.kind === 'keyring' ? 'keyring' : r.kind === 'logon' ? 'logon' : 'user';
      let summaryText = '';
      let expiry = formatKeyExpiry(r.remaining);
      if (r.kind === 'keyring') summaryText = r.links === 0 ? ': empty' : `: ${r.links}`;
      else if (r.kind === 'user' || r.kind === 'logon') summaryText = `: ${r.payload}`;
      else if (r.kind === 'negative') flags = `I--${q}-N-`;
      else if (r.kind === 'construction') flags = `---${q}U--`;
      else {
        flags = `IR-${q}---`;
        expiry = 'expd';
        type = 'user';
        summaryText = ': 0';
      }
      return { flags, usage: r.usage, expiry, perm, uid: r.uid, gid: r.gid, type, description: r.description, summaryText };
    });

function render(r: Rendered): string {
  return `${r.serial.toString(16).padStart(8, '0')} ${r.flags} ${right(String(r.usage), 5)} ${right(r.expiry, 4)} ${r.perm} ${right(String(r.uid), 5)} ${right(String(r.gid), 5)} ${r.type.padEnd(9, ' ')} ${r.description}${r.summaryText}`;
}

/** Ascending serials, as one read of /proc/keys always has them. */
const file = (descriptionChars: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 5000 }), record(descriptionChars)), { minLength: 1, maxLength: 30 })
    .map((rows) => {
      let serial = 3;
      return rows.map(([gap, r]) => ({ ...r, serial: (serial += gap) }));
    });

/** Any byte but "\n" (and not a CR at the very end, which CRLF handling may strip when every line has one). */
const descriptionByte = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 0x0a && c !== 0x00).map((c) => String.fromCharCode(c));

describe('parseProcKeys properties', () => {
  it('never throws, and every physical line is a record or an issue', () => {
    const garbage = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 400 });
    const mixed = fc
      .array(fc.oneof(garbage, file(descriptionByte).map((rows) => rows.map(render).join('\n'))), { maxLength: 6 })
      .map((parts) => parts.join('\n'));
    fc.assert(
      fc.property(fc.oneof(garbage, mixed), (text) => {
        const { records, issues } = parseProcKeys(text);
        const covered = new Set<number>();
        for (const r of records) for (let l = r.line; l < r.line + r.lineCount; l++) covered.add(l);
        for (const i of issues) covered.add(i.line);
        const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        for (let l = 1; l <= lines; l++) if (!covered.has(l)) return false;
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('every well-formed file parses back to the same values, with no issues', () => {
    fc.assert(
      fc.property(file(descriptionByte.filter((c) => c !== '\r')), (rows) => {
        const text = rows.map(render).join('\n') + '\n';
        const { records, issues } = parseProcKeys(text);
        expect(issues).toEqual([]);
        expect(
          records.map((r) => ({
            serial: r.serialNumber,
            flags: r.flagsRaw,
            usage: r.usage,
            expiry: r.expiry.raw,
            perm: r.perm.hex,
            uid: r.uid,
            gid: r.gid,
            type: r.type.name,
            description: r.description,
            summaryText: r.summaryText,
          })),
        ).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('descriptions with newlines come back whole, as one record spanning their lines', () => {
    // Lines after the first start with a character no record starts with, so none of them looks like a record.
    const lineChars = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    const multiLine = fc.array(fc.string({ unit: lineChars, minLength: 1, maxLength: 40 }), { minLength: 2, maxLength: 5 }).map((ls) => ls.map((l, i) => (i === 0 ? l : `~${l}`)).join('\n'));
    fc.assert(
      fc.property(file(lineChars), fc.nat(), multiLine, (rows, pick, description) => {
        const positives = rows.filter((r) => r.summaryText !== '' && !r.flags.startsWith('IR'));
        if (positives.length === 0) return;
        const target = positives[pick % positives.length] as Rendered;
        target.description = description;
        const { records, issues } = parseProcKeys(rows.map(render).join('\n') + '\n');
        expect(issues).toEqual([]);
        expect(records.map((r) => r.description)).toEqual(rows.map((r) => r.description));
        expect(records.find((r) => r.serialNumber === target.serial)?.lineCount).toBe(description.split('\n').length);
      }),
      { numRuns: 200 },
    );
  });

  it('a description wrapping a whole forged line never yields the forged key', () => {
    const chars = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(file(chars), record(chars), fc.nat(), fc.integer({ min: 1, max: 0x7fffffff }), (rows, fake, pick, fakeSerial) => {
        const carriers = rows.filter((r) => r.type === 'user' && r.summaryText !== '' && !r.flags.startsWith('IR'));
        if (carriers.length === 0) return;
        const carrier = carriers[pick % carriers.length] as Rendered;
        const forged = render({ ...fake, serial: fakeSerial, summaryText: '' });
        carrier.description = `innocent\n${forged}`;
        const { records } = parseProcKeys(rows.map(render).join('\n') + '\n');
        // The carrier is one record whose description holds the forged text, and it says so.
        const c = records.find((r) => r.serialNumber === carrier.serial);
        expect(c?.description).toBe(carrier.description);
        expect(c?.embeddedRecordLines.length).toBe(1);
        expect(records).toHaveLength(rows.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseProcKeyUsers properties', () => {
  it('reads back every line rendered as "%5u: %5d %d/%d %d/%d %d/%d"', () => {
    const n = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 4294967295 }), n, n, n, n, n, n, n), { selector: (t) => t[0], maxLength: 40 }), (rows) => {
        const text = rows.map(([uid, usage, a, b, c, d, e, f]) => `${right(String(uid), 5)}: ${right(String(usage), 5)} ${a}/${b} ${c}/${d} ${e}/${f}\n`).join('');
        const { users, issues } = parseProcKeyUsers(text);
        expect(issues).toEqual([]);
        expect(users.map((u) => [u.uid, u.usage, u.nkeys, u.nikeys, u.qnkeys, u.maxkeys, u.qnbytes, u.maxbytes])).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on any bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }), (text) => {
        parseProcKeyUsers(text);
      }),
      { numRuns: 300 },
    );
  });
});
