/**
 * A KeyRecord from a scanned prefix (key-line.ts) and the text after it: the columns decoded, the text split
 * into description and summary (key-summary.ts), with the kernel's description when it gave one.
 */
import { decodeKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { decodeKeyFlags, type KeyFlags } from './key-flags.js';
import type { KeyLineHeader } from './key-line.js';
import { decodeKeyPermissions, type KeyPermissions } from './key-permissions.js';
import { newRecord, type KeyConfirmation, type KeyRecord } from './key-record.js';
import { decodeSummaryTail, splitDescriptionSummary, type KeySummary } from './key-summary.js';
import { decodeKeyType, KNOWN_KEY_TYPES } from './key-type.js';
import { ownString } from './read-memo.js';

export interface RecordParts {
  /** The flags column: one string per distinct column in a parse, shared by its records. */
  flagsRaw: string;
  flags: KeyFlags;
  expiry: KeyExpiry;
  perm: KeyPermissions;
}

/**
 * Decodes columns and summaries; one per parse, so that the values a file repeats are decoded once and kept once
 * (a serving exporter's memo keeps every record: a shared value costs no memory per key), and no state outlives
 * the parse but through its records.
 */
export interface LineDecoder {
  /** The decoded columns, or null when one is not a value a kernel prints. */
  decode(h: KeyLineHeader): RecordParts | null;
  /** The full type name of a type column (truncation undone for the types the kernel has). */
  typeName(typeRaw: string): string;
  /** The decoded type of a record: its column, and its full name (the kernel's, when `described`). */
  type(typeRaw: string, name: string, described: boolean): KeyRecord['type'];
  /**
   * What a type's describe() printed after the description the kernel gave (key-summary.ts decodeSummaryTail),
   * decoded once per distinct tail: records with the same tail share its summary and text.
   */
  tail(typeName: string, tail: string, positive: boolean, revoked: boolean): DecodedTail;
}

export interface DecodedTail {
  summary: KeySummary | null;
  summaryText: string;
  complete: boolean;
}

export function createLineDecoder(): LineDecoder {
  const flags = new Map<string, { raw: string; flags: KeyFlags } | null>();
  const expiries = new Map<string, KeyExpiry | null>();
  const perms = new Map<string, KeyPermissions | null>();
  const types = new Map<string, KeyRecord['type']>();
  const tails = new Map<string, DecodedTail>();
  const cached = <T>(map: Map<string, T>, key: string, make: (k: string) => T): T => {
    let v = map.get(key);
    if (v === undefined && !map.has(key)) map.set(key, (v = make(key)));
    return v as T;
  };
  return {
    decode(h) {
      const f = cached(flags, h.flagsRaw, (raw) => {
        const decoded = decodeKeyFlags(raw);
        return decoded === null ? null : { raw, flags: decoded };
      });
      const e = cached(expiries, h.expiryRaw, decodeKeyExpiry);
      const p = cached(perms, h.permHex, decodeKeyPermissions);
      return f === null || e === null || p === null ? null : { flagsRaw: f.raw, flags: f.flags, expiry: e, perm: p };
    },
    typeName: (typeRaw) => decodeKeyType(typeRaw).name,
    type(typeRaw, name, described) {
      const id = `${typeRaw}\u0000${name}\u0000${described ? 1 : 0}`;
      let t = types.get(id);
      if (t === undefined) {
        const known = described || KNOWN.has(name);
        types.set(id, (t = { raw: typeRaw, name, known, maybeTruncated: !known && typeRaw.length === 9 }));
      }
      return t;
    },
    tail(typeName, tail, positive, revoked) {
      const id = `${typeName}\u0000${positive ? 1 : 0}${revoked ? 1 : 0}${tail}`;
      let d = tails.get(id);
      if (d === undefined) {
        // A copy of its own: the tail is a slice of the read, which the records sharing it would keep alive.
        const own = ownString(tail);
        const s = decodeSummaryTail(typeName, own, positive, revoked);
        tails.set(id, (d = { summary: s.summary, summaryText: own, complete: s.complete }));
      }
      return d;
    },
  };
}

export interface RecordText {
  /** The full type name: the kernel's when it described the key, else from the type column. */
  typeName: string;
  /** Everything printed after the prefix (physical lines joined by "\n"); unused when the kernel gave the description. */
  text: string;
  /** The exact description and what describe() printed after it, when the kernel gave the description. */
  description?: string;
  tail?: string;
  line: number;
  lineCount: number;
  embeddedRecordLines: number[];
  confirmation: KeyConfirmation;
}

const KNOWN: ReadonlySet<string> = new Set(KNOWN_KEY_TYPES);

export function buildRecord(h: KeyLineHeader, parts: RecordParts, t: RecordText, decoder: LineDecoder): KeyRecord {
  const { flags } = parts;
  const positive = flags.instantiated && !flags.negative;
  let description: string;
  let summaryText: string;
  let summary: KeyRecord['summary'];
  let complete: boolean;
  if (t.description !== undefined && t.typeName !== '.request_key_auth') {
    const s = decoder.tail(t.typeName, t.tail ?? '', positive, flags.revoked);
    description = t.description;
    summaryText = s.summaryText;
    summary = s.summary;
    complete = s.complete;
  } else {
    const s = splitDescriptionSummary(t.typeName, t.text, positive, flags.revoked);
    description = t.description ?? s.description;
    summaryText = s.summaryText;
    summary = s.summary;
    complete = s.complete;
  }
  const described = t.confirmation === 'described';
  const fields: KeyRecord = {
    serial: h.serial,
    serialNumber: h.serialNumber,
    flagsRaw: parts.flagsRaw,
    flags,
    usage: h.usage,
    expiry: parts.expiry,
    perm: parts.perm,
    uid: h.uid,
    gid: h.gid,
    type: decoder.type(h.typeRaw, t.typeName, described),
    description,
    summary,
    summaryText,
    line: t.line,
    lineCount: t.lineCount,
    embeddedRecordLines: t.embeddedRecordLines,
    complete,
    confirmation: t.confirmation,
  };
  return newRecord(fields, t.line, t.embeddedRecordLines);
}
