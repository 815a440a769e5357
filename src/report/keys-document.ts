/**
 * The `keys` JSON document (schema: docs/schemas/keys.schema.json). Descriptions are bytes: valid UTF-8 is
 * given as text; anything else as text with \xNN escapes plus the exact bytes in base64, so nothing is lost.
 */
import { jsonChunks, LazyArray } from './json-chunks.js';
import { trustStoreJson } from './trust-store-report.js';
import { kerberosJson } from './kerberos-report.js';
import { keyCoverage, type Inventory, type InventoryKey } from '../classify/inventory.js';
import { byteStringToBase64, decodeUtf8, escapeByteString } from '../parser/byte-string.js';
import { confirmationNote, visibilityNote } from './notes.js';
import type { KeyFlags } from '../parser/key-flags.js';

export const KEYS_DOCUMENT_SCHEMA_VERSION = 2;

export interface DocumentMeta {
  procRoot: string;
  /** The credentials that read the files, when known (live reads). */
  reader?: { uid: number; gid: number };
  /** Present for --view all-users: the uids /proc/keys was read as, and the reads that failed. */
  coverage?: { view: 'all-users'; readers: number[]; failed: { uid: number; error: string }[] };
  version: string;
}

function text(s: string): { value: string; base64?: string } {
  const utf8 = decodeUtf8(s);
  return utf8 !== null ? { value: utf8 } : { value: escapeByteString(s, false), base64: byteStringToBase64(s) };
}

/** The flags a record has set, by name, in the column's order. */
function flagNames(flags: KeyFlags): string[] {
  return FLAG_NAMES.filter((name) => flags[name]);
}
const FLAG_NAMES = ['instantiated', 'revoked', 'dead', 'inQuota', 'underConstruction', 'negative', 'invalidated'] as const satisfies readonly (keyof KeyFlags)[];

/**
 * A perm mask as keyctl(1) shows it (`keyctl describe`): six letters for the possessor, the owner, the group
 * and others, `alswrv` (setattr, link, search, write, read, view), `-` for a right not given.
 */
export function permLetters(mask: number): string {
  let out = '';
  for (const shift of [24, 16, 8, 0]) for (const [bit, letter] of PERM_LETTERS) out += ((mask >>> shift) & bit) !== 0 ? letter : '-';
  return out;
}
const PERM_LETTERS: readonly (readonly [number, string])[] = [[0x20, 'a'], [0x10, 'l'], [0x08, 's'], [0x04, 'w'], [0x02, 'r'], [0x01, 'v']];

/** A key: its columns as the kernel printed them, each with one decoded form, and what the classifier made of it. */
function keyDocument(k: InventoryKey): Record<string, unknown> {
  const description = text(k.description);
  const summaryText = text(k.summaryText);
  return {
    serial: k.serial,
    flags: k.flagsRaw,
    flagsSet: flagNames(k.flags),
    state: k.state,
    usage: k.usage,
    expiry: k.expiry.raw,
    expirySeconds: k.expiry.seconds,
    perm: k.perm.hex,
    permLetters: permLetters(k.perm.mask),
    uid: k.uid,
    gid: k.gid,
    type: k.type.name,
    // The type column, where it is not the name (the kernel prints 9 characters of it).
    ...(k.type.raw !== k.type.name ? { typeRaw: k.type.raw } : {}),
    description: description.value,
    ...(description.base64 !== undefined ? { descriptionBase64: description.base64 } : {}),
    summary: k.summary === null ? null : { ...k.summary, text: summaryText.value },
    class: k.class,
    claimedClass: k.claimedClass,
    impostor: k.impostor,
    nameUid: k.nameUid,
    suspect: k.suspect,
    line: k.line,
    lineCount: k.lineCount,
    embeddedRecordLines: k.embeddedRecordLines,
    confirmation: k.confirmation,
  };
}

/** The document's parts before and after its keys. */
function documentParts(inv: Inventory, meta: DocumentMeta): { head: Record<string, unknown>; tail: Record<string, unknown> } {
  const coverage = keyCoverage(inv);
  const head = {
    schemaVersion: KEYS_DOCUMENT_SCHEMA_VERSION,
    generator: `keyring-exporter ${meta.version}`,
    now: inv.now,
    source: {
      procRoot: meta.procRoot,
      ...(meta.reader !== undefined ? { reader: meta.reader } : {}),
      view: { ...(meta.coverage ?? { view: 'self' }), keysSeen: coverage?.seen ?? null, keysOwned: coverage?.owned ?? null },
      files: inv.files,
      format: inv.keysFormat,
      confirmation: { by: inv.confirmedBy, note: confirmationNote(inv), ...(inv.answersError !== undefined ? { error: inv.answersError } : {}) },
    },
    visibility: visibilityNote(meta.coverage),
  };
  const tail = {
    users: inv.users?.map((u) => ({ ...u })) ?? null,
    unstableUids: inv.unstableUids,
    limits: inv.limits,
    summary: inv.summary,
    issues: inv.issues,
    issueCounts: inv.issueCounts,
    unconfirmed: inv.unconfirmed,
    trustStore: trustStoreJson(inv.trustStore),
    kerberos: kerberosJson(inv.kerberos),
  };
  return { head, tail };
}

export function createKeysDocument(inv: Inventory, meta: DocumentMeta): Record<string, unknown> {
  const { head, tail } = documentParts(inv, meta);
  return { ...head, keys: new LazyArray(inv.keys, keyDocument, true), ...tail };
}

/** The document without its keys: what the audit document carries (audit-document.ts). */
export function keysDocumentHeader(inv: Inventory, meta: DocumentMeta): Record<string, unknown> {
  const { head, tail } = documentParts(inv, meta);
  return { ...head, ...tail };
}

/** The `keys` document as JSON, in pieces written as they are made (json-chunks.ts says why). */
export function keysJsonChunks(inv: Inventory, meta: DocumentMeta): Iterable<string> {
  return jsonChunks(createKeysDocument(inv, meta));
}
