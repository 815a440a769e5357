/**
 * The live kernel's answers about a read of /proc/keys (KEYCTL_DESCRIBE, keyctl.ts), given as the parser asks
 * (parser/key-answer.ts KernelAnswers): about every line that may start a record, forged ones too (the kernel's
 * "no such key" is what tells them apart), and about no line inside a description the kernel gave. Each serial
 * is asked about once a read. A serving exporter asks only about what its last read did not confirm
 * (parser/read-memo.ts).
 */
import type { KernelAnswers, KeyAnswer } from '../parser/key-answer.js';
import { parseProcKeys } from '../parser/proc-keys.js';
import { loadKeyctl, type Keyctl } from './keyctl.js';

export interface LiveAnswers extends KernelAnswers {
  /** Serials asked of the kernel so far. */
  readonly asked: number;
}

/** The kernel's answers for one read. */
export function kernelAnswers(keyctl: Pick<Keyctl, 'describe'>): LiveAnswers {
  const given = new Map<number, KeyAnswer>();
  return {
    from: 'kernel',
    given,
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
  /** The answers about every serial the read's parse asked about. */
  answers?: KeyAnswer[];
  /** Why the kernel could not be asked. */
  error?: string;
}

/** Ask the kernel about a read of /proc/keys (`text`, latin1) as a parse of it does: what a capture stores. */
export async function askKernel(text: string, bridge: Promise<Pick<Keyctl, 'describe'> | { error: string }> = loadKeyctl()): Promise<Asked> {
  const keyctl = await bridge;
  if ('error' in keyctl) return { error: keyctl.error };
  const live = kernelAnswers(keyctl);
  parseProcKeys(text, live);
  return { answers: [...live.given.values()] };
}
