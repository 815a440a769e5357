/**
 * Asks the kernel about every serial a read of /proc/keys names (KEYCTL_DESCRIBE, keyctl.ts), so that the
 * parser can confirm each record exactly (parser/proc-keys.ts). Every line that starts like a record is asked
 * about, forged ones too: the kernel's "no such key" is what tells them apart.
 *
 * Descriptions never change after a key is created, so a serving exporter keeps the answers of the last read
 * (`AnswerCache`) and asks only about serials it has not seen, or whose type, owner, group or perm the line now
 * shows otherwise (a serial reused, or a chown/setperm since). A line within the longest description a key can
 * have after a record the kernel does not describe (a dead key's, whose description may hold a copy of any
 * record, that of a key deleted since included) is always asked about afresh: the parser may take it for the
 * next record (parser/proc-keys-exact.ts), so only the kernel's answer of now may confirm it.
 */
import { scanKeyLine } from '../parser/key-line.js';
import { MAX_RECORD_TEXT } from '../parser/proc-keys-lines.js';
import { describedRecordEnd } from '../parser/proc-keys-exact.js';
import type { KernelAnswers, KeyAnswer, KeyDescribed } from '../parser/key-answer.js';
import { loadKeyctl, type Keyctl } from './keyctl.js';

/** The described keys of the last read, by serial. */
export type AnswerCache = Map<number, KeyDescribed>;

export interface Asked {
  answers?: KernelAnswers;
  /** Why the kernel could not be asked. */
  error?: string;
  /** Serials asked of the kernel (not answered from the cache). */
  asked: number;
}

/** Ask about the serials of `text` (a read of /proc/keys, latin1). `cache` is updated to this read's keys. */
export async function askKernel(text: string, cache?: AnswerCache, bridge: Promise<Keyctl | { error: string }> = loadKeyctl()): Promise<Asked> {
  const keyctl = await bridge;
  if ('error' in keyctl) return { error: keyctl.error, asked: 0 };
  const bySerial = new Map<number, KeyAnswer>();
  const seen: AnswerCache = new Map();
  /** Serials asked of the kernel during this read (their answers are the kernel's of now). */
  const fromKernel = new Set<number>();
  let asked = 0;
  /** Lines before this offset follow a record the kernel does not describe: no cached answer for them. */
  let unsure = 0;
  for (let p = 0; p < text.length; ) {
    const nl = text.indexOf('\n', p);
    const end = nl === -1 ? text.length : nl;
    const h = scanKeyLine(text, p, end, true);
    const at = p;
    p = end + 1;
    if (h === null) continue;
    const matches = (a: KeyAnswer | undefined): a is KeyDescribed =>
      a !== undefined && a.errno === null && a.type.slice(0, 9) === h.typeRaw && a.uid === h.uid && a.gid === h.gid && a.perm === Number.parseInt(h.permHex, 16);
    let a = bySerial.get(h.serialNumber);
    if (a === undefined || (!matches(a) && a.errno === null && !fromKernel.has(h.serialNumber))) {
      const hit = at >= unsure ? cache?.get(h.serialNumber) : undefined;
      if (matches(hit)) a = hit;
      else {
        a = keyctl.describe(h.serialNumber);
        fromKernel.add(h.serialNumber);
        asked++;
      }
      bySerial.set(h.serialNumber, a);
    }
    if (!matches(a)) unsure = Math.max(unsure, h.textStart + MAX_RECORD_TEXT + 1);
    if (a.errno === null) seen.set(a.serial, a);
    // The lines of a description the kernel gave are text wherever the record stands: none is asked about.
    const recordEnd = describedRecordEnd(text, h, a);
    if (recordEnd !== -1) p = recordEnd + 1;
  }
  if (cache !== undefined) {
    cache.clear();
    for (const [serial, a] of seen) cache.set(serial, a);
  }
  return { answers: { from: 'kernel', bySerial }, asked };
}
