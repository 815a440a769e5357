/**
 * The live kernel's answers about a read of /proc/keys (KEYCTL_DESCRIBE, keyctl.ts), given as the parser asks
 * (parser/key-answer.ts KernelAnswers): about every line that may start a record, forged ones too (the kernel's
 * "no such key" is what tells them apart), and about no line inside a description the kernel gave. Each serial
 * is asked about once a read. A serving exporter asks only about what its last read did not confirm
 * (parser/read-memo.ts).
 */
import type { KernelAnswers, KeyAnswer, KeyringMembers } from '../parser/key-answer.js';
import { parseProcKeys } from '../parser/proc-keys.js';
import { listTrustKeyrings } from '../parser/trust-keyrings.js';
import { loadKeyctl, type Keyctl } from './keyctl.js';

export interface LiveAnswers extends KernelAnswers {
  /** Serials asked of the kernel so far. */
  readonly asked: number;
}

/** The kernel's answers for one read. */
export function kernelAnswers(keyctl: Pick<Keyctl, 'describe' | 'members'>): LiveAnswers {
  const given = new Map<number, KeyAnswer>();
  const listed = new Map<number, KeyringMembers>();
  return {
    from: 'kernel',
    given,
    listed,
    members(serial) {
      let l = listed.get(serial);
      if (l === undefined) listed.set(serial, (l = keyctl.members(serial)));
      return l;
    },
    get asked() {
      return given.size;
    },
    answer(serial) {
      let a = given.get(serial);
      if (a === undefined) given.set(serial, (a = keyctl.describe(serial)));
      return a;
    },
  };
}

export interface Asked {
  /** The answers about every serial the read's parse asked about, and the trust store's members it described. */
  answers?: KeyAnswer[];
  /** What the trust store's keyrings link (parser/trust-keyrings.ts). */
  keyrings?: KeyringMembers[];
  /** Why the kernel could not be asked. */
  error?: string;
}

/**
 * Ask the kernel about a read of /proc/keys (`text`, latin1) as a snapshot of it does: what a capture stores. The
 * keyrings are listed now, not when the file was read: a capture is a moment or two apart from its read.
 */
export async function askKernel(text: string, bridge: Promise<Pick<Keyctl, 'describe' | 'members'> | { error: string }> = loadKeyctl()): Promise<Asked> {
  const keyctl = await bridge;
  if ('error' in keyctl) return { error: keyctl.error };
  const live = kernelAnswers(keyctl);
  const { records, trustKeyrings } = parseProcKeys(text, live);
  listTrustKeyrings(trustKeyrings, records, live);
  return { answers: [...live.given.values()], keyrings: [...live.listed.values()] };
}
