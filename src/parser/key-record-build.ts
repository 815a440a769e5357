/**
 * A KeyRecord from a scanned prefix (key-line.ts) and the text after it: the columns decoded, the text split
 * into description and summary (key-summary.ts), with the kernel's description when it gave one.
 */
import { decodeKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { decodeKeyFlags, type KeyFlags } from './key-flags.js';
import type { KeyLineHeader } from './key-line.js';
import { decodeKeyPermissions, type KeyPermissions } from './key-permissions.js';
import type { KeyConfirmation, KeyRecord } from './key-record.js';
import { decodeSummaryTail, splitDescriptionSummary } from './key-summary.js';
import { decodeKeyType, KNOWN_KEY_TYPES } from './key-type.js';

export interface RecordParts {
  flags: KeyFlags;
  expiry: KeyExpiry;
  perm: KeyPermissions;
}

/** Decodes columns; one per parse, so that the values a file repeats are decoded once (no state outlives it). */
export interface LineDecoder {
  /** The decoded columns, or null when one is not a value a kernel prints. */
  decode(h: KeyLineHeader): RecordParts | null;
  /** The full type name of a type column (truncation undone for the types the kernel has). */
  typeName(typeRaw: string): string;
  /** The decoded type of a record: its column, and its full name (the kernel's, when `described`). */
  type(typeRaw: string, name: string, described: boolean): KeyRecord['type'];
}

export function createLineDecoder(): LineDecoder {
  const flags = new Map<string, KeyFlags | null>();
  const expiries = new Map<string, KeyExpiry | null>();
  const perms = new Map<string, KeyPermissions | null>();
  const types = new Map<string, KeyRecord['type']>();
  const cached = <T>(map: Map<string, T>, key: string, make: (k: string) => T): T => {
    let v = map.get(key);
    if (v === undefined && !map.has(key)) map.set(key, (v = make(key)));
    return v as T;
  };
  return {
    decode(h) {
      const f = cached(flags, h.flagsRaw, decodeKeyFlags);
      const e = cached(expiries, h.expiryRaw, decodeKeyExpiry);
      const p = cached(perms, h.permHex, decodeKeyPermissions);
      return f === null || e === null || p === null ? null : { flags: f, expiry: e, perm: p };
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
    const s = decodeSummaryTail(t.typeName, t.tail ?? '', positive, flags.revoked);
    description = t.description;
    summaryText = t.tail ?? '';
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
  return {
    serial: h.serial,
    serialNumber: h.serialNumber,
    flagsRaw: h.flagsRaw,
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
}
