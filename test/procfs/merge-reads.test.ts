/**
 * The all-users view's merge (src/procfs/read-all-users.ts mergeReads): the reads of /proc/keys made as each uid,
 * merged by serial into what one reader who may view everything would list, without rendering them again.
 */
import { describe, expect, it } from 'vitest';
import { storedAnswers, type KeyAnswer } from '../../src/parser/key-answer.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { mergeReads } from '../../src/procfs/read-all-users.js';

const line = (serial: number, uid: number, description: string, summary = ': 1'): string =>
  `${serial.toString(16).padStart(8, '0')} I--Q---     1 perm 3f010000 ${String(uid).padStart(5)} ${String(uid).padStart(5)} user      ${description}${summary}\n`;
const described = (serial: number, uid: number, description: string): KeyAnswer => ({ serial, errno: null, type: 'user', uid, gid: uid, perm: 0x3f010000, description });

describe('mergeReads', () => {
  it('lists every key once, in serial order, numbered as one read, the kernel-confirmed record over a forged copy', () => {
    // Uid 42001 forges a copy of key 0x30 of uid 42002 in its description; its read cannot confirm that copy.
    const forged = `cfg\n${line(0x30, 42002, 'fake', ': 9').trimEnd()}`;
    const first = parseProcKeys(line(0x10, 42001, forged) + line(0x20, 42001, 'b'), storedAnswers('kernel', [described(0x10, 42001, forged), described(0x20, 42001, 'b')]));
    const second = parseProcKeys(line(0x30, 42002, 'real') + line(0x40, 42002, 'd'), storedAnswers('kernel', [described(0x30, 42002, 'real'), described(0x40, 42002, 'd')]));
    const merged = mergeReads([{ parsed: second }, { parsed: first }], first.format);
    expect(merged.records.map((r) => [r.serialNumber, r.description, r.line])).toEqual([
      [0x10, forged, 1],
      [0x20, 'b', 3],
      [0x30, 'real', 4],
      [0x40, 'd', 5],
    ]);
    expect(merged.records[0]?.embeddedRecordLines).toEqual([2]);
    expect(merged.format.physicalLines).toBe(5);
    expect(merged.confirmedBy).toBe('kernel');
    expect(merged.unconfirmed).toEqual([]);
  });

  it('reports a key one read listed and the kernel did not confirm, unless another read confirmed it', () => {
    // Key 0x50 vanished before uid 42003's reader asked about it; key 0x60 is confirmed by the other read.
    const vanished = parseProcKeys(line(0x50, 42003, 'gone') + line(0x60, 42003, 'f'), storedAnswers('kernel', [{ serial: 0x50, errno: 'ENOKEY' }, { serial: 0x60, errno: 'ENOKEY' }]));
    const other = parseProcKeys(line(0x60, 42003, 'f'), storedAnswers('kernel', [described(0x60, 42003, 'f')]));
    const merged = mergeReads([{ parsed: vanished }, { parsed: other }], other.format);
    expect(merged.records.map((r) => r.serialNumber)).toEqual([0x60]);
    expect(merged.unconfirmed.map((u) => [u.serial, u.uid, u.reason])).toEqual([['00000050', 42003, 'ENOKEY']]);
  });
});
