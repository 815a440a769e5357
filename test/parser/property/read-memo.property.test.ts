/**
 * The memo's test of a record printed again (read-memo.ts printedAt()): it compares a record's columns, description
 * and summary with the text in place, and must say what comparing the whole printed record would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedAnswers } from '../../../src/parser/key-answer.js';
import { formatKeyHeader, keyText } from '../../../src/parser/key-record.js';
import { parseProcKeys } from '../../../src/parser/proc-keys.js';
import { createReadMemo, memoLookup, printedAt } from '../../../src/parser/read-memo.js';
import { ascendingSerialsArb, descriptionByteArb, keyBodyArb, keyRecordArb, renderKeysFile, withSerial } from '../../helpers/line-generator.js';

describe('printedAt', () => {
  it('finds a record exactly where its printed text is, and nowhere a character of it differs', () => {
    fc.assert(
      fc.property(keyRecordArb(), fc.nat(), descriptionByteArb, fc.boolean(), (k, at, byte, cut) => {
        if (k.flags[1] === 'R' || k.expiry.raw === 'expd' || k.flags[6] === 'i') return;
        const file = renderKeysFile([k]);
        const answers = storedAnswers('kernel', [{ serial: k.serial, errno: null, type: k.type, uid: k.uid, gid: k.gid, perm: Number.parseInt(k.perm, 16), description: k.description }]);
        const r = parseProcKeys(file.text, answers).records[0];
        if (r === undefined) throw new Error(`no record of ${JSON.stringify(file.text)}`);
        const printed = `${formatKeyHeader(r)}${keyText(r)}\n`;
        expect(printed).toBe(file.text);
        const auth = r.type.name === '.request_key_auth';
        expect(printedAt(`xx${printed}yy`, 2, r)).toBe(auth ? -1 : 2 + printed.length);
        // One character changed (or the text cut short): found only where the text is still the record's.
        const i = at % printed.length;
        const other = cut ? printed.slice(0, i) : printed.slice(0, i) + byte + printed.slice(i + 1);
        expect(printedAt(other, 0, r)).toBe(other === printed && !auth ? printed.length : -1);
      }),
      { numRuns: 2000 },
    );
  });

  it("finds a memo's described records by serial, asked in any order", () => {
    fc.assert(
      fc.property(
        ascendingSerialsArb(0, 30).chain((serials) => fc.tuple(fc.constant(serials), fc.array(keyBodyArb(), { minLength: serials.length, maxLength: serials.length }))),
        fc.array(fc.nat({ max: 0x7fffffff }), { maxLength: 40 }),
        fc.boolean(),
        ([serials, bodies], extra, sorted) => {
          const keys = bodies.map((b, i) => withSerial(b, serials[i] as number));
          const answers = storedAnswers(
            'kernel',
            keys.map((k) =>
              k.flags[1] === 'R' || k.expiry.raw === 'expd' || k.flags[6] === 'i'
                ? { serial: k.serial, errno: 'EKEYREVOKED' }
                : { serial: k.serial, errno: null, type: k.type, uid: k.uid, gid: k.gid, perm: Number.parseInt(k.perm, 16), description: k.description },
            ),
          );
          const memo = createReadMemo();
          const { records } = parseProcKeys(renderKeysFile(keys).text, answers, memo);
          expect(memo.records).toBe(records);
          const asked = [...serials, ...extra];
          if (sorted) asked.sort((x, y) => x - y);
          const recall = memoLookup(memo);
          for (const serial of asked) expect(recall(serial)).toBe(records.find((r) => r.serialNumber === serial && r.confirmation === 'described'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
