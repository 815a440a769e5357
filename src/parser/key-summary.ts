/**
 * What a key type's describe() hook prints after the description (kernel-format.md §1.10). Most types print
 * `": <summary>"` only while the key is positively instantiated, so for those types a positive record MUST end
 * with the summary: that is what lets the parser find where a multi-line description ends.
 *
 *   keyring      keyring_describe()          ": empty" | ": <links>"  (≤3.12: ": <n>/<capacity>")
 *   user, logon  user_describe()             ": <datalen>"  (also encrypted, trusted, id_resolver, cifs.*)
 *   dns_resolver dns_resolver_describe()     ": <datalen>" | ": <-errno>"
 *   big_key      big_key_describe()          ": <len> [file|buff]"
 *   asymmetric   asymmetric_key_describe()   ": <idtype>.<algo>[ <8 hex>] []"
 *   fscrypt-provisioning                     ": <len> [<type>]"
 *   .request_key_auth request_key_auth_describe()  "key:<hex serial>" + " pid:<pid> ci:<len>" when positive
 */
import type { ByteSource } from './byte-source.js';
import { memoize } from './memo.js';
import { chargeExact, chargeMin } from './key-charge.js';

export type KeySummary =
  | { kind: 'keyring'; links: number; capacity?: number }
  | { kind: 'length'; bytes: number }
  | { kind: 'error'; errno: number }
  | { kind: 'big_key'; bytes: number; storage: 'file' | 'buff' }
  | { kind: 'asymmetric'; subtype: string; keyIdTail: string | null }
  | { kind: 'request_key_auth'; targetSerial: string; pid: number | null; calloutLength: number | null }
  | { kind: 'fscrypt_provisioning'; bytes: number; specType: number };

export const KEY_SUMMARY_KINDS = [
  'keyring',
  'length',
  'error',
  'big_key',
  'asymmetric',
  'request_key_auth',
  'fscrypt_provisioning',
] as const;

export interface SplitText {
  /** The key's description (raw bytes). For .request_key_auth, the target serial without the `key:` prefix. */
  description: string;
  summary: KeySummary | null;
  /** The exact characters of the summary as printed (`": 12"`), so description and summary rebuild the line. */
  summaryText: string;
}

// Summaries are immutable values; the common ones are shared rather than allocated per key.
const lengthSummaryOf = memoize((bytes: number): KeySummary => Object.freeze({ kind: 'length', bytes }));
const keyringSummaryOf = memoize((links: number): KeySummary => Object.freeze({ kind: 'keyring', links }));
/** The small values, which nearly every key has, straight from an array (no hashing per key). */
const SMALL = 4096;
const smallLength: (KeySummary | undefined)[] = new Array<KeySummary | undefined>(SMALL).fill(undefined);
const smallKeyring: (KeySummary | undefined)[] = new Array<KeySummary | undefined>(SMALL).fill(undefined);
export function lengthSummary(bytes: number): KeySummary {
  if (bytes >= SMALL) return lengthSummaryOf(bytes);
  return (smallLength[bytes] ??= lengthSummaryOf(bytes));
}
export function keyringSummary(links: number): KeySummary {
  if (links >= SMALL) return keyringSummaryOf(links);
  return (smallKeyring[links] ??= keyringSummaryOf(links));
}

/**
 * What a KeyTable row holds for a summary (key-table.ts W_SUMMARY): -1 for none, a keyring's links * 2, a length's
 * bytes * 2 + 1, and -2 for any other and for codes past 32 bits (the table keeps those: KeyTable.otherSummaries).
 */
export function summaryCodeOf(s: KeySummary | null): number {
  if (s === null) return -1;
  if (s.kind === 'keyring') {
    if (s.capacity === undefined) return keyringCode(s.links);
  } else if (s.kind === 'length') return lengthCode(s.bytes);
  return -2;
}

/** The most links and bytes whose codes fit a row's signed 32-bit word. */
const MAX_CODED_LINKS = 0x3fffffff;
const MAX_CODED_BYTES = 0x3ffffffe;

function keyringCode(links: number): number {
  return Number.isInteger(links) && links >= 0 && links <= MAX_CODED_LINKS ? links * 2 : -2;
}

function lengthCode(bytes: number): number {
  return Number.isInteger(bytes) && bytes >= 0 && bytes <= MAX_CODED_BYTES ? bytes * 2 + 1 : -2;
}

const LENGTH_TYPES = new Set([
  'user',
  'logon',
  'encrypted',
  'trusted',
  'id_resolver',
  'id_legacy',
  'cifs.spnego',
  'cifs.idmap',
]);

/** Types whose positive keys always print a summary. */
export function summaryRequired(type: string, positive: boolean, revoked: boolean): boolean {
  if (!positive) return false;
  if (type === '.request_key_auth') return !revoked; // the payload is released on revocation: nothing printed
  return (
    type === 'keyring' ||
    LENGTH_TYPES.has(type) ||
    type === 'dns_resolver' ||
    type === 'big_key' ||
    type === 'asymmetric' ||
    type === 'fscrypt-provisioning'
  );
}

// Anchored at the end: descriptions may contain ": " themselves, the summary is always last.
const RE_KEYRING = /: (?:(empty)|(\d{1,10})(?:\/(\d{1,10}))?)$/;
const RE_LENGTH = /: (\d{1,10})$/;
const RE_DNS = /: (-?\d{1,10})$/;
const RE_BIG_KEY = /: (\d{1,10}) \[(file|buff)\]$/;
const RE_ASYMMETRIC = /: ([A-Za-z0-9#_-]{1,32}\.[A-Za-z0-9_-]{1,32})(?: ([0-9a-f]{1,8}))? \[\]$/;
const RE_FSCRYPT_PROV = /: (\d{1,10}) \[(\d{1,10})\]$/;
const RE_REQUEST_KEY_AUTH = /^key:([0-9a-f]{1,8})(?: pid:(-?\d{1,10}) ci:(\d{1,10}))?$/;

/**
 * Index of the ": " that starts a trailing ": <1-10 digits>" (or ": empty" when `allowEmpty`), else -1.
 * Equivalent to the anchored RE_LENGTH / RE_KEYRING without the N/M form, scanning backwards from the end.
 */
let trailingValue = 0;

function trailingNumberSummary(text: string, allowEmpty: boolean): number {
  const n = text.length;
  if (allowEmpty && n >= 7 && text.endsWith(': empty')) {
    trailingValue = 0;
    return n - 7;
  }
  let p = n;
  let value = 0;
  let scale = 1;
  while (p > 0) {
    const c = text.charCodeAt(p - 1);
    if (c < 0x30 || c > 0x39) break;
    value += (c - 0x30) * scale;
    scale *= 10;
    p--;
  }
  trailingValue = value;
  const digits = n - p;
  if (digits === 0 || digits > 10 || p < 2) return -1;
  return text.charCodeAt(p - 1) === 0x20 && text.charCodeAt(p - 2) === 0x3a ? p - 2 : -1;
}

/**
 * Split the text after the type column into description and summary for a key of `type`.
 * `positive` is I without N; summaries are only parsed for positive keys.
 * Returns `complete: false` when the type requires a summary and none is at the end.
 */
export function splitDescriptionSummary(
  type: string,
  text: string,
  positive: boolean,
  revoked: boolean,
): SplitText & { complete: boolean } {
  const required = summaryRequired(type, positive, revoked);
  if (type === '.request_key_auth') {
    const m = RE_REQUEST_KEY_AUTH.exec(text);
    if (m === null) return { description: text, summary: null, summaryText: '', complete: !required && text === '' };
    const target = m[1] as string;
    const hasPid = m[2] !== undefined;
    if (required && !hasPid) return { description: text, summary: null, summaryText: '', complete: false };
    return {
      description: target,
      summary: {
        kind: 'request_key_auth',
        targetSerial: target,
        pid: hasPid ? Number(m[2]) : null,
        calloutLength: hasPid ? Number(m[3]) : null,
      },
      summaryText: text.slice(0, 4) + (hasPid ? text.slice(4 + target.length) : ''),
      complete: true,
    };
  }
  if (!positive) return { description: text, summary: null, summaryText: '', complete: true };

  // Fast path for the commonest shapes, ": <digits>" and ": empty" (no regular expression per record).
  if (type === 'keyring' || LENGTH_TYPES.has(type)) {
    const at = trailingNumberSummary(text, type === 'keyring');
    if (at >= 0) {
      const summary = type === 'keyring' ? keyringSummary(trailingValue) : lengthSummary(trailingValue);
      return { description: text.slice(0, at), summary, summaryText: text.slice(at), complete: true };
    }
  }

  let m: RegExpExecArray | null = null;
  let summary: KeySummary | null = null;
  if (type === 'keyring') {
    m = RE_KEYRING.exec(text);
    if (m !== null) {
      summary =
        m[1] !== undefined
          ? { kind: 'keyring', links: 0 }
          : m[3] !== undefined
            ? { kind: 'keyring', links: Number(m[2]), capacity: Number(m[3]) }
            : { kind: 'keyring', links: Number(m[2]) };
    }
  } else if (LENGTH_TYPES.has(type)) {
    m = RE_LENGTH.exec(text);
    if (m !== null) summary = { kind: 'length', bytes: Number(m[1]) };
  } else if (type === 'dns_resolver') {
    m = RE_DNS.exec(text);
    if (m !== null) {
      const n = Number(m[1]);
      summary = n < 0 ? { kind: 'error', errno: -n } : { kind: 'length', bytes: n };
    }
  } else if (type === 'big_key') {
    m = RE_BIG_KEY.exec(text);
    if (m !== null) summary = { kind: 'big_key', bytes: Number(m[1]), storage: m[2] as 'file' | 'buff' };
  } else if (type === 'asymmetric') {
    m = RE_ASYMMETRIC.exec(text);
    if (m !== null) summary = { kind: 'asymmetric', subtype: m[1] as string, keyIdTail: m[2] ?? null };
  } else if (type === 'fscrypt-provisioning') {
    m = RE_FSCRYPT_PROV.exec(text);
    if (m !== null) summary = { kind: 'fscrypt_provisioning', bytes: Number(m[1]), specType: Number(m[2]) };
  }
  if (m === null || summary === null) return { description: text, summary: null, summaryText: '', complete: !required };
  return { description: text.slice(0, m.index), summary, summaryText: text.slice(m.index), complete: true };
}

/** Where a record's description ends and what its summary is, for a text that is a range of a file. */
export interface RangeSplit {
  /** Offset where the description ends (the summary starts); `end` when there is no summary. */
  descEnd: number;
  /** The summary as summaryCodeOf(); the summary itself only when that is -2 (else null: the code says it). */
  code: number;
  summary: KeySummary | null;
  complete: boolean;
  /** What the key charges its owner's byte quota at least, and 1 when exactly that (key-charge.ts). */
  charge: number;
  chargeExact: number;
}

/**
 * splitDescriptionSummary() for the text bytes[start, end) of a ByteSource, without making a string for the
 * common summaries (": <digits>", ": empty"). Writes into `out`.
 */
export function splitRange(
  type: string,
  src: ByteSource,
  start: number,
  end: number,
  positive: boolean,
  revoked: boolean,
  out: RangeSplit,
): void {
  if (positive && (type === 'keyring' || type === 'user' || type === 'logon' || LENGTH_TYPES.has(type))) {
    const at = trailingNumberInBytes(src.bytes, start, end, type === 'keyring');
    if (at >= 0) {
      out.descEnd = at;
      out.complete = true;
      // chargeMin() and chargeExact() of this summary, with what is known here (calling them measured 3-7% slower
      // on the whole parse + classify; test/parser/key-charge.test.ts holds the two equal on every row).
      // The summary as its code, made into an object only when it has none (past 32 bits).
      if (type === 'keyring') {
        const code = trailingValue <= MAX_CODED_LINKS ? trailingValue * 2 : -2;
        out.code = code;
        out.summary = code === -2 ? keyringSummary(trailingValue) : null;
        out.charge = at - start + 1 + 4 * trailingValue;
        out.chargeExact = 0;
      } else {
        const code = trailingValue <= MAX_CODED_BYTES ? trailingValue * 2 + 1 : -2;
        out.code = code;
        out.summary = code === -2 ? lengthSummary(trailingValue) : null;
        const userOrLogon = type === 'user' || type === 'logon';
        out.charge = at - start + 1 + (userOrLogon ? trailingValue : 0);
        out.chargeExact = userOrLogon ? 1 : 0;
      }
      return;
    }
  }
  const s = splitDescriptionSummary(type, src.latin1(start, end), positive, revoked);
  const code = summaryCodeOf(s.summary);
  out.code = code;
  out.summary = code === -2 ? s.summary : null;
  out.complete = s.complete;
  // .request_key_auth: "key:" + description + summary; everything else: description + summary.
  out.descEnd = s.summary?.kind === 'request_key_auth' ? start + 4 + s.description.length : start + s.description.length;
  out.charge = chargeMin(s.description.length, type, positive, s.summary);
  out.chargeExact = chargeExact(type, positive, s.summary) ? 1 : 0;
}

/** trailingNumberSummary() over bytes[start, end): offset of the ": " or -1; the value in trailingValue. */
function trailingNumberInBytes(b: Uint8Array, start: number, end: number, allowEmpty: boolean): number {
  // ": empty"
  if (
    allowEmpty &&
    end - start >= 7 &&
    b[end - 1] === 0x79 &&
    b[end - 2] === 0x74 &&
    b[end - 3] === 0x70 &&
    b[end - 4] === 0x6d &&
    b[end - 5] === 0x65 &&
    b[end - 6] === 0x20 &&
    b[end - 7] === 0x3a
  ) {
    trailingValue = 0;
    return end - 7;
  }
  let p = end;
  let value = 0;
  let scale = 1;
  while (p > start) {
    const c = b[p - 1] as number;
    if (c < 0x30 || c > 0x39) break;
    value += (c - 0x30) * scale;
    scale *= 10;
    p--;
  }
  const digits = end - p;
  if (digits === 0 || digits > 10 || p - start < 2) return -1;
  trailingValue = value;
  return b[p - 1] === 0x20 && b[p - 2] === 0x3a ? p - 2 : -1;
}
