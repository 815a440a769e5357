/**
 * What the two ways of reading /proc/keys (proc-keys-exact.ts with the kernel's answers, proc-keys-text.ts
 * without) share: the result they make and the walk over physical lines.
 */
import { startsLikeRecord } from './key-line.js';
import type { KeyRecord } from './key-record.js';

/** The longest description userspace can set (4095 bytes) plus room for the longest summary. */
export const MAX_RECORD_TEXT = 4095 + 128;

/** A record /proc/keys printed that the kernel no longer knows or no longer describes alike: not counted. */
export interface UnconfirmedRecord {
  serial: string;
  uid: number;
  line: number;
  /** The kernel's answer (errno name), or `changed` when it described the serial with other fields. */
  reason: string;
}

export interface Parsed {
  records: KeyRecord[];
  unconfirmed: UnconfirmedRecord[];
  /** The records of the trust store's keyrings (trust-keyrings.ts), picked while each record was at hand. */
  trustKeyrings: KeyRecord[];
}

/** What a record whose description holds no record-like line shares. */
const NO_LINES: number[] = Object.freeze([]) as unknown as number[];

/** The end of the line starting at `p` (the offset of its "\n", or the text's length). */
export function lineEnd(text: string, p: number): number {
  const nl = text.indexOf('\n', p);
  return nl === -1 ? text.length : nl;
}

/** Physical lines of text[from, to) that look like records: lines forged by a description. */
export function recordLikeLines(text: string, from: number, to: number, firstLine: number): number[] {
  const nl = text.indexOf('\n', from);
  if (nl === -1 || nl >= to) return NO_LINES;
  const lines: number[] = [];
  let line = firstLine;
  for (let nl = text.indexOf('\n', from); nl !== -1 && nl < to; nl = text.indexOf('\n', nl + 1)) {
    line++;
    const end = text.indexOf('\n', nl + 1);
    if (startsLikeRecord(text, nl + 1, end === -1 || end > to ? to : end)) lines.push(line);
  }
  return lines;
}

export function countLines(text: string, from: number, to: number): number {
  let n = 1;
  for (let nl = text.indexOf('\n', from); nl !== -1 && nl < to; nl = text.indexOf('\n', nl + 1)) n++;
  return n;
}
