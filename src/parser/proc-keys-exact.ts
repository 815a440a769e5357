/**
 * /proc/keys read with the kernel's answers (KEYCTL_DESCRIBE per serial: key-answer.ts). A record its answer
 * confirms ends where its description, whose bytes the kernel gave, and the one-line summary after it end, so
 * the next line is always the kernel's next record and no text inside a description is ever read as one.
 */
import { DEAD_KEY_ERRNOS, isDescribed, type KernelAnswers, type KeyAnswer, type KeyDescribed } from './key-answer.js';
import { scanKeyLine, type KeyLineHeader } from './key-line.js';
import { formatKeyHeader, keyText, type KeyRecord } from './key-record.js';
import { buildRecord, type LineDecoder, type RecordParts } from './key-record-build.js';
import type { IssueSink } from './parse-issue.js';
import { countLines, lineEnd, MAX_RECORD_TEXT, recordLikeLines, type Parsed, type UnconfirmedRecord } from './proc-keys-lines.js';
import { atLine, memoLookup, ownString, printedAt, rememberedAnswer, serialAt, type ReadMemo } from './read-memo.js';
import { isTrustStoreKeyring } from './trust-keyrings.js';

/** `records` when their serials ascend (what a memo holds: read-memo.ts), else none. */
function ascendingOrNone(records: KeyRecord[]): KeyRecord[] {
  for (let i = 1; i < records.length; i++) if ((records[i] as KeyRecord).serialNumber <= (records[i - 1] as KeyRecord).serialNumber) return [];
  return records;
}

/** What rebuilding a dead key's record takes (end() folds a copy back into it). */
interface DeadRecordStart {
  h: KeyLineHeader;
  parts: RecordParts;
  line: number;
}

/**
 * Does the kernel's answer describe the key this prefix shows? A key's type never changes, nor its owner but by
 * root's chown; its group and perm may have changed between the read and the question (an owner may flip them
 * as fast as keyctl goes), so those are taken as printed.
 */
function answerMatches(h: KeyLineHeader, a: KeyDescribed): boolean {
  return a.type.slice(0, 9) === h.typeRaw && a.uid === h.uid;
}

/** What describe() prints before its summary: the description (".request_key_auth": "key:" first). */
function printedBody(a: KeyDescribed): string {
  return a.type === '.request_key_auth' ? `key:${a.description}` : a.description;
}

/**
 * Where the record of the line `h` ends (the offset of its last "\n", or the text's end) when the kernel's answer
 * `a` describes it, or -1. The lines inside it are text: nothing asks about them or takes them for records.
 */
function describedRecordEnd(text: string, h: KeyLineHeader, a: KeyAnswer | undefined): number {
  if (!isDescribed(a) || !answerMatches(h, a)) return -1;
  const body = printedBody(a);
  if (text.startsWith(body, h.textStart)) return lineEnd(text, h.textStart + body.length);
  // A type whose describe() prints nothing (ceph) ends on its first line; any other text is not this key's.
  const eol = lineEnd(text, h.textStart);
  return eol === h.textStart ? eol : -1;
}

/**
 * How far past a record's start its parse may look: its own text (MAX_RECORD_TEXT), and that of a record
 * starting within it (nextRecord asks whether the kernel described it, and where it ends).
 */
export const LOOKAHEAD = 4 * MAX_RECORD_TEXT;

/** A parse of /proc/keys fed a part at a time, as it is read (stream-read.ts). */
export interface ExactParse {
  /**
   * Parse the records of `window`, the file's text from offset `at`, that it holds whole: unless `final` (the
   * window runs to the file's end), those that start at least LOOKAHEAD before its end. Returns the offset of
   * the first record not parsed: the next window starts there.
   */
  feed(window: string, at: number, final: boolean): number;
  /** Lines parsed so far (all of the file's once the final window was fed). */
  readonly lines: number;
  /** The records, once the final window was fed. */
  end(): Parsed;
}

/**
 * `memo`: what the last read confirmed (a serving exporter's), updated to this read. Where a line right after a
 * record the kernel described starts the exact text of a record it confirmed, that record is this one.
 */
export function parseExact(text: string, answers: KernelAnswers, decoder: LineDecoder, issues: IssueSink, memo?: ReadMemo): Parsed {
  const parse = createExactParse(answers, decoder, issues, memo);
  parse.feed(text, 0, true);
  return parse.end();
}

export function createExactParse(answers: KernelAnswers, decoder: LineDecoder, issues: IssueSink, memo?: ReadMemo, onRecord?: (r: KeyRecord, records: readonly KeyRecord[]) => void): ExactParse {
  const records: KeyRecord[] = [];
  let trustKeyrings: KeyRecord[] = [];
  const recall = memo === undefined ? undefined : memoLookup(memo);
  /** Whether the records so far ascend by serial, as the kernel prints them. */
  let ascending = true;
  let lastSerial = -1;
  const keep = (r: KeyRecord): void => {
    if (r.serialNumber <= lastSerial) ascending = false;
    lastSerial = r.serialNumber;
    records.push(r);
    if (isTrustStoreKeyring(r)) trustKeyrings.push(r);
    onRecord?.(r, records);
  };
  /** The window being parsed, and its offset in the file. */
  let text = '';
  let at = 0;
  const unconfirmed: UnconfirmedRecord[] = [];
  /** Whether the kernel holds the serial of this line, as a dead key. */
  const vouched = (a: KeyAnswer | undefined): boolean => a !== undefined && a.errno !== null && DEAD_KEY_ERRNOS.has(a.errno);
  /**
   * Where the record of `h`, whose length the kernel did not give, ends: before the kernel's next record. That
   * starts within the longest description a key can have, on a line the kernel vouches for (a record it
   * confirms, or a dead key's) with a serial above h's; outside the records the kernel confirmed there (their
   * descriptions may hold copies of any line). The kernel prints records in ascending serial order, so of those
   * lines the next record is the one that starts the longest ascending run of them, the lowest serial, the first
   * line among equals: if that is a copy in h's description, the kernel's own line follows, and the copy is
   * folded back into h's record (parseExact). Without one the record runs to the end of that window. Only the
   * kernel's answers of now count there: one of before could confirm the copy of a key deleted since.
   */
  const nextRecord = (h: KeyLineHeader, eol: number): { end: number; lineCount: number } => {
    let end = eol;
    let lines = 1;
    const candidates: { end: number; lineCount: number; serial: number }[] = [];
    /** Lines up to here lie inside a record the kernel confirmed. */
    let covered = -1;
    while (end + 1 < text.length && end - h.textStart <= MAX_RECORD_TEXT) {
      const next = end + 1;
      const nextEol = lineEnd(text, next);
      const nh = scanKeyLine(text, next, nextEol, true);
      if (nh !== null && next > covered) {
        const na = answers.answer(nh.serialNumber);
        const confirmed: number = describedRecordEnd(text, nh, na);
        if (nh.serialNumber > h.serialNumber && (confirmed !== -1 || vouched(na))) candidates.push({ end, lineCount: lines, serial: nh.serialNumber });
        covered = Math.max(covered, confirmed);
      }
      end = nextEol;
      lines++;
    }
    // run[i]: the longest ascending run of candidates from i (a record line is 60 bytes or more: some 70 fit).
    const run = candidates.map(() => 1);
    let best = -1;
    for (let i = candidates.length - 1; i >= 0; i--) {
      const c = candidates[i] as (typeof candidates)[number];
      for (let j = i + 1; j < candidates.length; j++) if ((candidates[j] as typeof c).serial > c.serial) run[i] = Math.max(run[i] as number, (run[j] as number) + 1);
      const b = candidates[best];
      if (b === undefined || (run[i] as number) > (run[best] as number) || (run[i] === run[best] && c.serial <= b.serial)) best = i;
    }
    return candidates[best] ?? { end, lineCount: lines };
  };
  /** The record of a dead key whose text is src[from, end). */
  const deadRecord = (src: string, from: number, h: KeyLineHeader, parts: RecordParts, end: number, line: number): KeyRecord =>
    buildRecord(
      h,
      parts,
      {
        typeName: decoder.typeName(h.typeRaw),
        text: src.slice(from, end),
        line,
        lineCount: countLines(src, from, end),
        embeddedRecordLines: recordLikeLines(src, from, end, line),
        confirmation: 'dead',
      },
      decoder,
    );
  /** Dead keys' records by index, with what rebuilding them takes. */
  const deadAt = new Map<number, DeadRecordStart>();
  let line = 1;
  /** Whether the record before ended where the kernel said (or none came before): this line is then the kernel's. */
  let afterConfirmed = true;
  const feed = (window: string, from: number, final: boolean): number => {
    text = window;
    at = from;
    let p = 0;
    while (p < text.length && (final || p + LOOKAHEAD <= text.length)) {
      const known = recall !== undefined && afterConfirmed ? recall(serialAt(text, p)) : undefined;
      const knownEnd = known === undefined ? -1 : printedAt(text, p, known);
      if (knownEnd !== -1) {
        const r = atLine(known as KeyRecord, line);
        keep(r);
        p = knownEnd;
        line += r.lineCount;
        continue;
      }
      const eol = lineEnd(text, p);
      const h = scanKeyLine(text, p, eol, true);
      const parts = h === null ? null : decoder.decode(h);
      if (h === null || parts === null) {
        issues.add(line, 'unparseable_line', 'not a record where the kernel prints one: the file was not read from a kernel as it is');
        p = eol + 1;
        line++;
        continue;
      }
      // The last read's answer serves where it shows this line's columns; right after a record the kernel did not
      // describe, only an answer of now does (this line is one nextRecord chose by those).
      const a: KeyAnswer | undefined = (afterConfirmed && recall !== undefined ? rememberedAnswer(recall(h.serialNumber), h) : undefined) ?? answers.answer(h.serialNumber);
      let end = describedRecordEnd(text, h, a);
      if (end !== -1) {
        const d = a as KeyDescribed;
        const tailStart = end === h.textStart ? end : h.textStart + printedBody(d).length;
        const lineCount = countLines(text, p, end);
        const r = buildRecord(h, parts, {
          typeName: d.type,
          // .request_key_auth prints "key:" before the description: its summary is split from the whole text.
          text: d.type === '.request_key_auth' ? ownString(text.slice(h.textStart, end)) : '',
          description: d.description,
          tail: text.slice(tailStart, end),
          line,
          lineCount,
          embeddedRecordLines: recordLikeLines(text, h.textStart, tailStart, line),
          confirmation: 'described',
        }, decoder);
        keep(r);
        p = end + 1;
        line += lineCount;
        afterConfirmed = true;
        continue;
      }
      // A record the kernel did not confirm. Right after a confirmed record (or at the start) the line is the
      // kernel's own: a dead key (it exists, but key_validate() describes no expired, revoked or invalidated key)
      // or one that vanished or changed after the read. After such a record, whose length the kernel did not
      // give, a line may be text of its description: only a dead key's serial, which the kernel vouches for, is
      // counted there. Either way the record runs up to its successor (nextRecord); record-like lines before it are
      // its description's (embeddedRecordLines), never records of their own.
      const errno = a === undefined ? 'not asked' : (a.errno ?? 'changed');
      const dead = DEAD_KEY_ERRNOS.has(errno) || (afterConfirmed && errno === 'ENOKEY' && parts.flags.invalidated);
      const next = nextRecord(h, eol);
      end = next.end;
      const lineCount = next.lineCount;
      if (dead) {
        keep(deadRecord(text, h.textStart, h, parts, end, line));
        deadAt.set(records.length - 1, { h, parts, line });
      } else {
        unconfirmed.push({ serial: h.serial, uid: h.uid, line, reason: errno });
        issues.add(line, 'unconfirmed_record', `key ${h.serial} of uid ${h.uid}: the kernel did not confirm it (${errno}): it vanished or changed after the read, or a description forged it; not counted`);
      }
      afterConfirmed = false;
      p = end + 1;
      line += lineCount;
    }
    return at + p;
  };
  const end = (): Parsed => {
    const parsed = folded();
    // The next read's memo: the records, when they ascend as the kernel prints them (they do once folded).
    if (memo !== undefined) memo.records = parsed.records === records ? (ascending ? records : []) : ascendingOrNone(parsed.records);
    return parsed;
  };
  const folded = (): Parsed => {
    // A serial listed twice: the later record is the kernel's, the other a copy in the description before it,
    // folded back into that record when it is a dead key's (the only kind whose length the kernel did not give).
    // Records in ascending order have none.
    if (ascending) return { records, unconfirmed, trustKeyrings };
    const last = new Map(records.map((r, i) => [r.serialNumber, i]));
    if (last.size === records.length) return { records, unconfirmed, trustKeyrings };
    const kept: KeyRecord[] = [];
    let keptDead: DeadRecordStart | undefined;
    records.forEach((r, i) => {
      if (last.get(r.serialNumber) === i) {
        kept.push(r);
        keptDead = deadAt.get(i);
        return;
      }
      issues.add(r.line, 'unconfirmed_record', `key ${r.serial} is listed again later: this copy is text of a description, not counted`);
      const carrier = kept[kept.length - 1];
      if (keptDead !== undefined && carrier !== undefined && carrier.line + carrier.lineCount === r.line) {
        // The carrier's text and the copy's, each exactly as printed (key-record.ts), are the text of the record
        // they are together: no part of the file is kept for this.
        const joined = `${keyText(carrier)}\n${formatKeyHeader(r)}${keyText(r)}`;
        kept[kept.length - 1] = deadRecord(joined, 0, keptDead.h, keptDead.parts, joined.length, keptDead.line);
      }
    });
    trustKeyrings = kept.filter(isTrustStoreKeyring);
    return { records: kept, unconfirmed, trustKeyrings };
  };
  return {
    feed,
    end,
    get lines(): number {
      return line - 1;
    },
  };
}

