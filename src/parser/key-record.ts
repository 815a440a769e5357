/**
 * One key as /proc/keys printed it (security/keys/proc.c proc_keys_show()), decoded.
 * `formatKeyHeader(r) + keyText(r)` is the record exactly as printed.
 */
import type { KeyExpiry } from './key-expiry.js';
import type { KeyFlags } from './key-flags.js';
import type { KeyPermissions } from './key-permissions.js';
import type { KeySummary } from './key-summary.js';
import type { DecodedKeyType } from './key-type.js';

export interface KeyRecord {
  /** The serial as printed: 8 lower-case hex digits. */
  serial: string;
  serialNumber: number;
  flagsRaw: string;
  flags: KeyFlags;
  usage: number;
  expiry: KeyExpiry;
  perm: KeyPermissions;
  uid: number;
  gid: number;
  type: DecodedKeyType;
  /** The key's description, byte for byte (a latin1 byte string); may contain newlines. */
  description: string;
  summary: KeySummary | null;
  /** The summary exactly as printed, e.g. `": 12"`; empty when none. */
  summaryText: string;
  /** 1-based physical line where the record starts. */
  line: number;
  /** Physical lines the record spans (more than 1 when its description contains newlines). */
  lineCount: number;
  /** Physical lines inside this record that look like records of their own: forged by its description. */
  embeddedRecordLines: number[];
  /** False when a summary the type always prints is missing (a damaged or truncated record). */
  complete: boolean;
  /** How far the kernel confirmed the record (KeyConfirmation). */
  confirmation: KeyConfirmation;
}

/**
 * `described`: the kernel described the serial (KEYCTL_DESCRIBE) with this type, owner, group, perm and
 * description; `dead`: the kernel holds the serial but describes no expired or revoked key, so the columns and
 * the description are as printed; `unconfirmed`: read from text alone (a paste, a capture without answers).
 */
/**
 * The fields the inventory writes into a record when it classifies it in place (classify/inventory.ts
 * InventoryKey), unset until it does. Every record is made with them (buildRecord(), atLine()), so that all
 * records share one layout with every field in the object itself (newRecord()): added later, they would take a
 * second object per record (some 30 bytes a key more, and slower reads of them).
 */
export interface UnclassifiedFields {
  class: undefined;
  claimedClass: undefined;
  nameUid: undefined;
  state: undefined;
  impostor: undefined;
  suspect: undefined;
  classifiedWith: undefined;
}

/** `r`'s fields, starting at `line`, in the one layout every record has (UnclassifiedFields): a record of its own. */
export function newRecord(r: KeyRecord, line: number, embeddedRecordLines: number[]): KeyRecord {
  const record: KeyRecord & UnclassifiedFields = {
    serial: r.serial,
    serialNumber: r.serialNumber,
    flagsRaw: r.flagsRaw,
    flags: r.flags,
    usage: r.usage,
    expiry: r.expiry,
    perm: r.perm,
    uid: r.uid,
    gid: r.gid,
    type: r.type,
    description: r.description,
    summary: r.summary,
    summaryText: r.summaryText,
    line,
    lineCount: r.lineCount,
    embeddedRecordLines,
    complete: r.complete,
    confirmation: r.confirmation,
    class: undefined,
    claimedClass: undefined,
    nameUid: undefined,
    state: undefined,
    impostor: undefined,
    suspect: undefined,
    classifiedWith: undefined,
  };
  return record;
}

export const KEY_CONFIRMATIONS = ['described', 'dead', 'unconfirmed'] as const;
export type KeyConfirmation = (typeof KEY_CONFIRMATIONS)[number];

/** Everything the kernel printed after the type column (physical lines joined with "\n"). */
export function keyText(r: Pick<KeyRecord, 'description' | 'summary' | 'summaryText'>): string {
  // .request_key_auth prints "key:" before the description and its summary after it (key-summary.ts).
  if (r.summary?.kind === 'request_key_auth') return r.summaryText.slice(0, 4) + r.description + r.summaryText.slice(4);
  return r.description + r.summaryText;
}

/** Render the fixed prefix exactly as proc_keys_show() prints it (the scanner accepts nothing else). */
export function formatKeyHeader(r: Pick<KeyRecord, 'serial' | 'flagsRaw' | 'usage' | 'expiry' | 'perm' | 'uid' | 'gid' | 'type'>): string {
  const right = (v: string, w: number): string => (v.length >= w ? v : ' '.repeat(w - v.length) + v);
  return `${r.serial} ${r.flagsRaw} ${right(String(r.usage), 5)} ${right(r.expiry.raw, 4)} ${r.perm.hex} ${right(String(r.uid), 5)} ${right(String(r.gid), 5)} ${r.type.raw.padEnd(9, ' ')} `;
}
