import { describe, expect, it } from 'vitest';
import { storedAnswers, type KeyAnswer } from '../../src/parser/key-answer.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { isTrustStoreKeyring, listTrustKeyrings, recordsBySerial } from '../../src/parser/trust-keyrings.js';
import { renderKeys } from '../helpers/render-key-line.js';
import { certificate, describedAs, kernelKeyring, type HeldKey } from '../helpers/trust-keyrings.js';

const userKeyring = (serial: number, name: string, uid: number, members: number[]): HeldKey => ({
  serial, flags: 'I--Q---', perm: '3f0b0000', uid, gid: uid, type: 'keyring', text: `${name}: ${members.length === 0 ? 'empty' : members.length}`, description: name, members,
});

describe('listTrustKeyrings', () => {
  const keys: HeldKey[] = [
    kernelKeyring(0x10, '.builtin_trusted_keys', [0x11, 0x99]),
    certificate(0x11, 'Kernel Key', 'aa'),
    kernelKeyring(0x20, '.user_reg', [0x30]),
    userKeyring(0x30, '_ima', 0, [0x31]),
    certificate(0x31, 'IMA Key', 'bb'),
    userKeyring(0x40, '_ima', 1000, [0x41]),
    userKeyring(0x50, 'my-ring', 0, []),
  ];
  const asked: number[] = [];
  const listed: number[] = [];
  const stored = storedAnswers('kernel', [...keys.map(describedAs), { serial: 0x99, errno: 'EACCES' }], keys.filter((k) => k.members !== undefined).map((k) => ({ serial: k.serial, errno: null, members: k.members as number[] })));
  const answers = { ...stored, answer: (s: number): KeyAnswer | undefined => (asked.push(s), stored.answer(s)), members: (s: number) => (listed.push(s), stored.members(s)) };
  const { records, trustKeyrings } = parseProcKeys(renderKeys(keys), stored);

  it("asks what the kernel's keyrings and a root _ima link, never a register, another uid's _ima or root's own keyrings", () => {
    // The parse picks them as it makes each record.
    expect(trustKeyrings.map((r) => r.serialNumber)).toEqual([0x10, 0x30]);
    expect(records.filter(isTrustStoreKeyring)).toEqual(trustKeyrings);
    const lists = listTrustKeyrings(trustKeyrings, records, answers);
    expect(listed).toEqual([0x10, 0x30]);
    // Members /proc/keys listed are its records already; only the one it did not list is described.
    expect(asked).toEqual([0x99]);
    expect(lists).toEqual({
      from: 'kernel',
      keyrings: [
        { serial: 0x10, errno: null, members: [0x11, 0x99] },
        { serial: 0x30, errno: null, members: [0x31] },
      ],
      described: [{ serial: 0x99, errno: 'EACCES' }],
    });
  });

  it('is null for a capture that stored no keyring lists, and takes only what the kernel described', () => {
    expect(listTrustKeyrings(trustKeyrings, records, storedAnswers('capture', keys.map(describedAs)))).toBeNull();
    const unconfirmed = parseProcKeys(renderKeys(keys));
    expect(unconfirmed.trustKeyrings).toEqual([]);
    expect(unconfirmed.records.filter(isTrustStoreKeyring)).toEqual([]);
  });

  it('finds records by serial in the kernel\'s order', () => {
    const find = recordsBySerial(records);
    expect(records.map((r) => find(r.serialNumber))).toEqual(records);
    expect(find(0x32)).toBeUndefined();
  });

  it('asks the kernel about a member out of order records hide', () => {
    const shuffled = [...records].reverse();
    const asked2: number[] = [];
    const lists = listTrustKeyrings(trustKeyrings, shuffled, { ...stored, answer: (s: number) => (asked2.push(s), stored.answer(s)) });
    expect(lists?.described.map((a) => a.serial).sort()).toEqual(asked2.sort());
    expect(asked2).toContain(0x99);
  });
});
