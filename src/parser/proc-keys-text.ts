/**
 * /proc/keys read from text alone (a paste, a capture without the kernel's answers): record boundaries are
 * guessed from what a kernel can print, every record is `unconfirmed`, and the classifier's invariants
 * (classify/key-trust.ts) judge what the text cannot.
 */
import { scanKeyLine, startsAsPrinted, type KeyLineHeader } from './key-line.js';
import type { KeyRecord } from './key-record.js';
import { buildRecord, type LineDecoder, type RecordParts } from './key-record-build.js';
import { splitDescriptionSummary, summaryRequired } from './key-summary.js';
import type { IssueSink } from './parse-issue.js';
import { lineEnd, MAX_RECORD_TEXT, type Parsed } from './proc-keys-lines.js';

/** Why no kernel printed this line as a record here (kernel-format.md §1.4, §1.7), or null. `first`: the file's first record. */
function impossible(h: KeyLineHeader, parts: RecordParts, first: KeyLineHeader | null): string | null {
  const f = parts.flags;
  if (first !== null && (h.flagsRaw.length !== first.flagsRaw.length || h.permHex.length !== first.permHex.length)) return 'its flags or perm are not as wide as in the rest of the file';
  // 7 flags arrived in Linux 3.5, 8-digit perms in 2.6.14: no kernel printed 7 flags with a 6-digit perm.
  if (h.flagsRaw.length === 7 && h.permHex.length === 6) return 'a 6-digit perm with 7 flag characters (no kernel printed both)';
  if (parts.perm.invalidBits !== 0 || (parts.perm.mask & 0x01010101) === 0) return `perm ${h.permHex} has bits KEYCTL_SETPERM rejects or grants view to nobody`;
  if (f.negative && !f.instantiated) return 'N without I (a negative key is instantiated)';
  if (h.flagsRaw.length === 7 && f.revoked && parts.expiry.kind !== 'expd') return 'revoked but the expiry is not "expd" (key_revoke() sets it)';
  return null;
}

/** The open record: lines first..last (0-based); `folds`: its record-like lines; `more`: the first folded while it
 * waited for its summary, or -1; `closed`: cut back to before `more`, it folds no more. */
type Open = { h: KeyLineHeader; parts: RecordParts; type: string; first: number; last: number; folds: number[]; more: number; closed: boolean };

/**
 * Records from text alone, with what one read of /proc/keys holds: a line that is not a record continues the
 * open record; a record-like line whose serial is not above the open record's, or that no kernel printed there
 * (impossible()), is its text too, listed in embeddedRecordLines; so is one that comes while the open positive
 * record has not printed the summary its type always prints (within the longest description); if it never does,
 * those lines were records after all and are read again. Lines after the last one that completed a record are
 * issues. Linear: a line is read again only by records it could belong to (MAX_RECORD_TEXT), and completeness is
 * read from the end of a record's last line.
 */
export function parseText(text: string, decoder: LineDecoder, issues: IssueSink, emptyLast: boolean): Parsed {
  const records: KeyRecord[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let p = 0; p < text.length || (emptyLast && p === text.length); p = (ends[ends.length - 1] as number) + 1) {
    starts.push(p);
    ends.push(lineEnd(text, p));
  }
  const completeAt = (o: Open, last: number): boolean => {
    const positive = o.parts.flags.instantiated && !o.parts.flags.negative;
    if (!summaryRequired(o.type, positive, o.parts.flags.revoked)) return true;
    const to = ends[last] as number;
    const from = Math.max(last === o.first ? o.h.textStart : (starts[last] as number), to - 160);
    return splitDescriptionSummary(o.type, text.slice(from, to), positive, o.parts.flags.revoked).complete;
  };
  const emit = (o: Open, last: number): void => {
    for (let i = o.first + 1; i <= last; i++)
      if (!o.folds.includes(i) && startsAsPrinted(text, starts[i] as number, ends[i] as number))
        issues.add(i + 1, 'near_record_line', `starts like a record (serial and flags) but its columns are not what proc_keys_show() prints; read as part of the description of the key at line ${o.first + 1}`);
    const embeddedRecordLines: number[] = [];
    for (const l of o.folds) if (l <= last) embeddedRecordLines.push(l + 1);
    records.push(
      buildRecord(o.h, o.parts, {
        typeName: o.type,
        text: text.slice(o.h.textStart, ends[last] as number),
        line: o.first + 1,
        lineCount: last - o.first + 1,
        embeddedRecordLines,
        confirmation: 'unconfirmed',
      }, decoder),
    );
  };
  /** Close the open record: the line to read again from (the record stays open, closed), or -1 once emitted. */
  const finalize = (o: Open): number => {
    if (!completeAt(o, o.last) && !o.closed && o.more !== -1) {
      o.last = o.more - 1;
      o.folds = o.folds.filter((l) => l < o.more);
      o.closed = true;
      return o.more;
    }
    let keep = o.last;
    while (keep > o.first && !completeAt(o, keep)) keep--;
    const whole = completeAt(o, keep);
    if (!whole) issues.add(o.first + 1, 'missing_summary', `a positive ${o.type} key always ends with its summary; this record has none (damaged or truncated)`);
    emit(o, keep);
    for (let l = keep + 1; l <= o.last; l++) issues.add(l + 1, 'unparseable_line', `not a record, and the record at line ${o.first + 1} ${whole ? 'already ended with' : 'does not end with'} its summary`);
    return -1;
  };
  let first: KeyLineHeader | null = null;
  let open: Open | null = null;
  for (let i = 0; i < starts.length || open !== null; i++) {
    const o = open as Open | null;
    const resume = i < starts.length ? -1 : finalize(o as Open);
    if (resume >= 0) i = resume;
    else if (i >= starts.length) break;
    const p = starts[i] as number;
    const h = scanKeyLine(text, p, ends[i] as number, false);
    const parts = h === null ? null : decoder.decode(h);
    if (h === null || parts === null) {
      if (o !== null) o.last = i;
      else issues.add(i + 1, 'unparseable_line', p === ends[i] ? 'empty line (the kernel prints none)' : 'not a record: does not match the fields proc_keys_show() prints');
      continue;
    }
    if (o !== null) {
      const certain = h.serialNumber <= o.h.serialNumber || impossible(h, parts, first) !== null;
      const waiting = !certain && !o.closed && (ends[o.last] as number) - o.h.textStart <= MAX_RECORD_TEXT && !completeAt(o, o.last);
      if (certain || waiting) {
        if (waiting && o.more === -1) o.more = i;
        o.last = i;
        o.folds.push(i);
        continue;
      }
      const resume = finalize(o);
      if (resume >= 0) {
        i = resume - 1;
        continue;
      }
    }
    const why = o === null ? impossible(h, parts, first) : null;
    if (why !== null) {
      issues.add(i + 1, 'unparseable_line', `looks like a record but ${why}`);
      continue;
    }
    first ??= h;
    open = { h, parts, type: decoder.typeName(h.typeRaw), first: i, last: i, folds: [], more: -1, closed: false };
  }
  // Read from text alone, no record is one the kernel described: none is taken for a trust store keyring.
  return { records, unconfirmed: [], trustKeyrings: [] };
}
