/**
 * Asking the kernel about a read of /proc/keys (src/procfs/ask-kernel.ts), on real keys: every listed serial is
 * answered, a forged line's serial too (ENOKEY), and a serving exporter's cache asks only about what changed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { askKernel, kernelAnswers, type LiveAnswers } from '../../src/procfs/ask-kernel.js';
import { createReadMemo, type ReadMemo } from '../../src/parser/read-memo.js';
import { loadKeyctl, type Keyctl } from '../../src/procfs/keyctl.js';
import type { KeyAnswer } from '../../src/parser/key-answer.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { holdSession } from '../helpers/held-session.js';
import { uniqueName } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl')]);

/** One read's parse with the kernel's answers, as a serving exporter makes it. */
function parseWith(text: string, keyctl: Pick<Keyctl, 'describe' | 'members'>, memo: ReadMemo): LiveAnswers & { records: ReturnType<typeof parseProcKeys>['records'] } {
  const answers = kernelAnswers(keyctl);
  const { records } = parseProcKeys(text, answers, memo);
  return Object.assign(answers, { records });
}

/** A keyctl whose keyrings are never listed: no record these tests make is one of the trust store's. */
function notAsked(serial: number): never {
  throw new Error(`keyring ${serial} listed`);
}

async function bridge(): Promise<Keyctl> {
  const k = await loadKeyctl();
  if ('error' in k) throw new Error(k.error);
  return k;
}

describe('the kernel\'s answers', () => {
  live('answer the serial of every record a read lists, never asks about a line inside a description it gave, and asks again only about what changed', async () => {
    const name = uniqueName('ask');
    // A key whose description forges a line with a serial no key has: inside a description the kernel gave, it is
    // never taken for a record, so it is not asked about.
    const forged = `${name}\n7ffffff1 I--Q---     1 perm 3f010000     0     0 user      forged`;
    const held = await holdSession('for d in "$1" "$2"; do k=$(keyctl add user "$d" v @s) && keyctl setperm $k 0x3f3f0000 && printf "%08x\\n" $k; done', [name, forged]);
    try {
      const [plain, carrier] = held.lines.map((l) => Number.parseInt(l, 16)) as [number, number];
      const keyctl = await bridge();
      const memo = createReadMemo();
      const first = parseWith(readFileSync('/proc/keys', 'latin1'), keyctl, memo);
      const answers = first.given;
      expect(answers?.get(plain)).toMatchObject({ errno: null, type: 'user', uid: 0, description: name, perm: 0x3f3f0000 });
      expect(answers?.get(carrier)).toMatchObject({ errno: null, description: forged });
      expect(answers?.has(0x7ffffff1)).toBe(false);
      const confirmed = (serial: number): boolean => memo.records.some((r) => r.serialNumber === serial && r.confirmation === 'described');
      expect(confirmed(plain) && confirmed(carrier) && !confirmed(0x7ffffff1)).toBe(true);

      // Nothing changed: keys are answered from the cache; serials the kernel did not describe, lines right after
      // them (where a dead key's description could hold a copy of any record) and keys other tests made meanwhile
      // are asked about again.
      const again = parseWith(readFileSync('/proc/keys', 'latin1'), keyctl, memo);
      expect(again.asked).toBeLessThan(first.asked);
      // A record as the kernel confirmed it (where it stands in the file depends on the other tests' keys).
      const record = (read: typeof first, serial: number) => {
        const r = read.records.find((k) => k.serialNumber === serial);
        return r && { serial: r.serial, perm: r.perm, type: r.type, description: r.description, summaryText: r.summaryText, confirmation: r.confirmation };
      };
      expect(record(again, carrier)).toEqual(record(first, carrier));
      expect(record(again, plain)).toEqual(record(first, plain));

      // A perm changed since: that key is asked about again.
      const changed = await holdSession(`keyctl setperm ${plain} 0x3f3f0100`);
      await changed.end();
      const third = parseWith(readFileSync('/proc/keys', 'latin1'), keyctl, memo);
      expect(third.given.get(plain)).toMatchObject({ errno: null, perm: 0x3f3f0100 });
      expect(record(third, plain)?.perm.hex).toBe('3f3f0100');
      expect(record(third, carrier)).toEqual(record(first, carrier));

      // What a capture stores: the same answers, asked in one parse.
      const stored = await askKernel(readFileSync('/proc/keys', 'latin1'));
      expect(stored.answers?.find((a) => a.serial === carrier)).toEqual(answers.get(carrier));
    } finally {
      await held.end();
    }
  });
});

describe('the kernel\'s answers with a serving exporter\'s memo', () => {
  const line = (serial: string, flags: string, perm: string, desc: string, summary: string): string =>
    `${serial} ${flags}     1 perm ${perm}     0     0 user      ${desc}${summary}\n`;
  const described = (serial: number, perm: number, description: string): KeyAnswer => ({ serial, errno: null, type: 'user', uid: 0, gid: 0, perm, description });

  it('asks only about serials it has no answer for, lines whose fields changed, and lines after a key the kernel does not describe', async () => {
    const kernel = new Map<number, KeyAnswer>([
      [0x10, described(0x10, 0x3f010000, 'a')],
      [0x20, { serial: 0x20, errno: 'EKEYREVOKED' }],
      [0x30, described(0x30, 0x3f010000, 'c')],
      [0x40, described(0x40, 0x3f3f0000, 'd')],
    ]);
    const asked: number[] = [];
    const keyctl = { describe: (s: number): KeyAnswer => (asked.push(s), kernel.get(s) ?? { serial: s, errno: 'ENOKEY' }), members: notAsked };
    const text =
      line('00000010', 'I--Q---', '3f010000', 'a', ': 1') +
      line('00000020', 'IR-Q---', '3f010000', 'b', ': 0') +
      line('00000030', 'I--Q---', '3f010000', 'c', ': 1') +
      line('00000040', 'I--Q---', '3f3f0000', 'd', ': 1');
    const memo = createReadMemo();
    const first = parseWith(text, keyctl, memo);
    expect(asked).toEqual([0x10, 0x20, 0x30, 0x40]);
    expect(memo.records.filter((r) => r.confirmation === 'described').map((r) => r.serialNumber)).toEqual([0x10, 0x30, 0x40]);

    asked.length = 0;
    // 0x30 follows a revoked key, whose description the kernel does not give: it is asked about again.
    const second = parseWith(text.replace('3f3f0000     0     0 user      d', '3f3f0100     0     0 user      d'), keyctl, memo);
    expect(asked).toEqual([0x20, 0x30, 0x40]);
    // The record the last read confirmed is this read's, unchanged: nothing about it was asked or parsed again.
    expect(second.records[0]).toBe(first.records[0]);
    expect(second.asked).toBe(3);
  });
});

describe('askKernel and descriptions', () => {
  it('asks about no line inside a description the kernel gave, but about every line after a description it did not give', async () => {
    const forged = '7ffffff1 I--Q---     1 perm 3f010000     0     0 user      forged';
    const kernel = new Map<number, KeyAnswer>([
      [0x10, { serial: 0x10, errno: null, type: 'user', uid: 0, gid: 0, perm: 0x3f010000, description: `a\n${forged}` }],
      [0x20, { serial: 0x20, errno: 'EKEYREVOKED' }],
    ]);
    const asked: number[] = [];
    const bridge = Promise.resolve({ describe: (s: number): KeyAnswer => (asked.push(s), kernel.get(s) ?? { serial: s, errno: 'ENOKEY' }), members: notAsked });
    const text =
      `00000010 I--Q---     1 perm 3f010000     0     0 user      a\n${forged}: 1\n` +
      `00000020 IR-Q---     1 expd 3f010000     0     0 user      b\n${forged.replace('7ffffff1', '7ffffff2')}: 0\n`;
    const stored = await askKernel(text, bridge);
    expect(asked).toEqual([0x10, 0x20, 0x7ffffff2]);
    expect(stored.answers?.map((a) => a.serial)).toEqual([0x10, 0x20, 0x7ffffff2]);
  });
});
