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

/** A summary that is a number alone: a keyring's links, a payload's length. */
const RE_NUMBER_TAIL = /^: (\d{1,10})$/;

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

/**
 * The summary of a record whose description the kernel gave (KEYCTL_DESCRIBE): `tail` is exactly what the
 * describe() hook printed after the description, so it is either a whole summary of the type or nothing.
 */
export function decodeSummaryTail(type: string, tail: string, positive: boolean, revoked: boolean): { summary: KeySummary | null; complete: boolean } {
  // The commonest tails, a keyring's links and a payload's length, read directly.
  const n = positive ? RE_NUMBER_TAIL.exec(tail) : null;
  if (n !== null && type === 'keyring') return { summary: { kind: 'keyring', links: Number(n[1]) }, complete: true };
  if (n !== null && LENGTH_TYPES.has(type)) return { summary: { kind: 'length', bytes: Number(n[1]) }, complete: true };
  // A one-character stand-in for the description: the summaries are anchored at the end of the text.
  const s = splitDescriptionSummary(type, `x${tail}`, positive, revoked);
  if (s.summary !== null && s.summaryText === tail) return { summary: s.summary, complete: true };
  return { summary: null, complete: tail === '' && !summaryRequired(type, positive, revoked) };
}
