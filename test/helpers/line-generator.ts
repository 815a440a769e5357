/**
 * fast-check arbitraries that render /proc/keys and /proc/key-users exactly as security/keys/proc.c prints them
 * (kernel-format.md §1.2, §1.6, §1.10, §2.1), together with the values a parser must read back.
 *
 * Written independently of src/parser: nothing here imports the code under test, so a generator bug and a parser
 * bug cannot cancel out.
 *
 *   /proc/keys      "%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s " + describe() + "\n"
 *   /proc/key-users "%5u: %5d %d/%d %d/%d %d/%d\n"
 *
 * Everything is a byte string (latin1: one char per byte), as the parser reads it.
 */
import fc from 'fast-check';

// ---------------------------------------------------------------------------------------------------------------
// printf

/** `%<w>d` / `%<w>s`: right-aligned in a minimum width; longer values are printed in full. */
export const padLeft = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
/** `%-9.9s`: left-aligned, padded AND truncated to exactly nine characters. */
export const typeColumn = (name: string): string => name.slice(0, 9).padEnd(9, ' ');
export const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

// ---------------------------------------------------------------------------------------------------------------
// Expected values

/** What the parser must return for one summary (mirrors the shapes of src/parser/key-summary.ts KeySummary). */
export type ExpectedSummary =
  | { kind: 'keyring'; links: number }
  | { kind: 'length'; bytes: number }
  | { kind: 'error'; errno: number }
  | { kind: 'big_key'; bytes: number; storage: 'file' | 'buff' }
  | { kind: 'asymmetric'; subtype: string; keyIdTail: string | null }
  | { kind: 'request_key_auth'; targetSerial: string; pid: number | null; calloutLength: number | null };

export type KeyState = 'positive' | 'negative' | 'construction' | 'revoked' | 'invalidated';

export interface ExpectedKey {
  serial: number;
  /** `%08x` */
  serialHex: string;
  state: KeyState;
  /** The seven flag characters. */
  flags: string;
  usage: number;
  expiry: { raw: string; seconds: number | null };
  /** The perm mask as printed (`%08x`). */
  perm: string;
  uid: number;
  gid: number;
  /** The full kernel type name (what the parser restores from the truncated column). */
  type: string;
  /** The nine characters of the type column. */
  typeColumn: string;
  /** The description, byte for byte (for .request_key_auth: the target serial in hex, without `key:`). */
  description: string;
  /** What describe() prints besides the description, exactly (for .request_key_auth: `key:` + ` pid:.. ci:..`). */
  summaryText: string;
  summary: ExpectedSummary | null;
  /** Everything printed after the type column and its space (physical lines joined by "\n"). */
  text: string;
  /** The first physical line up to and including the space after the type column. */
  header: string;
  /** 1-based physical line of the record in its file (set by the file arbitraries; 0 for a lone record). */
  line: number;
  /** Physical lines the record spans: 1 + the newlines in its description. */
  lineCount: number;
}

export interface GeneratedKeysFile {
  text: string;
  keys: ExpectedKey[];
}

// ---------------------------------------------------------------------------------------------------------------
// Column arbitraries

/** Four permission bytes within 0x3f3f3f3f with at least one view bit (the reader must be able to view the key). */
export const permArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0, max: 3 }))
  .map(([p, u, g, o, viewer]) => {
    const bytes = [p, u, g, o];
    if (!bytes.some((b) => (b & 1) !== 0)) bytes[viewer] = (bytes[viewer] as number) | 1;
    return hex8(((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number));
  });

/** Signed 32-bit ids as `%5d` prints them: ordinary, overflow 65534, (gid_t)-1, widened (> 5 digits), >= 2^31 (negative). */
export const idArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1000, 65534, -1, 99999, 100000, 23493, 1234567890) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 99999 }) },
  { weight: 2, arbitrary: fc.integer({ min: 100000, max: 2147483647 }) },
  { weight: 1, arbitrary: fc.integer({ min: -2147483648, max: -1 }) },
);

/** The key's refcount, `%5d`. Usage 0 is transiently possible (kernel-format.md §1.5). */
export const usageArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2147483647 }) },
);

/** §1.6: one unit, truncated. `remaining` > 0. */
export function renderExpiry(remaining: number): { raw: string; seconds: number } {
  const units: [number, string][] = [
    [604800, 'w'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  for (const [size, unit] of units)
    if (remaining >= size) {
      const n = Math.floor(remaining / size);
      return { raw: `${n}${unit}`, seconds: n * size };
    }
  throw new Error(`remaining must be >= 1, got ${remaining}`);
}

/** Remaining seconds up to what KEYCTL_SET_TIMEOUT accepts (u32), with every unit boundary likely. */
const remainingArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(1, 59, 60, 61, 3599, 3600, 86399, 86400, 604799, 604800, 259200, 0xffffffff),
  fc.integer({ min: 1, max: 604800 * 2 }),
  fc.integer({ min: 1, max: 0xffffffff }),
);

type Expiry = { raw: string; seconds: number | null };
const PERM: Expiry = { raw: 'perm', seconds: null };
const EXPD: Expiry = { raw: 'expd', seconds: 0 };
const timeoutArb: fc.Arbitrary<Expiry> = remainingArb.map(renderExpiry);
const anyExpiryArb: fc.Arbitrary<Expiry> = fc.oneof({ weight: 3, arbitrary: fc.constant(PERM) }, { weight: 2, arbitrary: timeoutArb }, { weight: 1, arbitrary: fc.constant(EXPD) });

// ---------------------------------------------------------------------------------------------------------------
// Descriptions

const byteChar = (c: number): string => String.fromCharCode(c);

/** Any byte a description can hold except "\n" (and NUL: descriptions are C strings). */
export const descriptionByteArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map(byteChar) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 255 }).filter((c) => c !== 0x0a).map(byteChar) },
  // bytes that matter to a /proc/keys parser
  { weight: 1, arbitrary: fc.constantFrom(' ', ':', '\r', '\t', '[', ']', '-', '/', '0', '9', 'a', 'f', '\x7f', '\xa0', '\xff') },
);

/** mulberry32, a small deterministic PRNG: long descriptions (fast-check stays fast for 4095-byte strings), seeded runs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` pseudo-random bytes in 1..255 without "\n". */
function pseudoRandomBytes(seed: number, length: number): string {
  const rnd = mulberry32(seed);
  let s = '';
  for (let i = 0; i < length; i++) {
    let c = 1 + Math.floor(rnd() * 255);
    if (c === 0x0a) c = 0x0b;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Bytes without "\n", `min`..`max` long: short ones shrink well, long ones reach the 4095-byte limit. */
export function bytesArb(min: number, max: number): fc.Arbitrary<string> {
  const short = fc.string({ unit: descriptionByteArb, minLength: min, maxLength: Math.min(max, 60) });
  if (max <= 60) return short;
  return fc.oneof(
    { weight: 6, arbitrary: short },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: Math.max(min, 61), max }), fc.nat()).map(([n, seed]) => pseudoRandomBytes(seed, n)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: Math.max(min, max - 16), max }), fc.nat()).map(([n, seed]) => pseudoRandomBytes(seed, n)) },
  );
}

/** A single-line description: any non-empty byte string without "\n", up to 4095 bytes. */
export const singleLineDescriptionArb: fc.Arbitrary<string> = bytesArb(1, 4095);

/** Could the scanner take this physical line for the start of a record? (serial, space, 6-7 flag letters, space) */
export const LOOKS_LIKE_RECORD_START = /^[0-9a-f]{8} [I-][R-][D-][Q-][U-][N-](?:[i-])? /;

/**
 * A description with embedded "\n": 2..6 physical lines, 4095 bytes at most. No physical line after the first
 * starts like a record (such lines are neutralised with a leading '#'), but near misses are common: lines that
 * start with eight hex digits, or are a record prefix with one flag character changed.
 */
export const multiLineDescriptionArb: fc.Arbitrary<string> = fc
  .tuple(
    bytesArb(0, 300),
    fc.array(
      fc.oneof(
        bytesArb(0, 200),
        fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), bytesArb(0, 60)).map(([n, rest]) => `${hex8(n)} ${rest}`),
        fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), bytesArb(0, 40)).map(([n, rest]) => `${hex8(n)} I--Q-x-     1 perm 3f010000     0     0 user      ${rest}`),
      ),
      { minLength: 1, maxLength: 5 },
    ),
  )
  .map(([first, rest]) => [first, ...rest.map((l) => (LOOKS_LIKE_RECORD_START.test(l) ? `#${l}` : l))].join('\n').slice(0, 4095))
  .filter((d) => d.length > 0 && d.includes('\n'));

// ---------------------------------------------------------------------------------------------------------------
// One record

/** A record before it has a serial and a place in a file. */
export type KeyBody = Omit<ExpectedKey, 'serial' | 'serialHex' | 'header' | 'text' | 'line' | 'lineCount'>;

const flagString = (s: { i?: boolean; r?: boolean; q: boolean; u?: boolean; n?: boolean; inv?: boolean }): string =>
  `${s.i === true ? 'I' : '-'}${s.r === true ? 'R' : '-'}-${s.q ? 'Q' : '-'}${s.u === true ? 'U' : '-'}${s.n === true ? 'N' : '-'}${s.inv === true ? 'i' : '-'}`;

const lowerHex = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });

/** What describe() appends for a positive key of each type, and the summary the parser must decode from it. */
const positiveSummaryArb: Record<string, fc.Arbitrary<{ summaryText: string; summary: ExpectedSummary }>> = {
  keyring: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70000 })).map((links) => ({ summaryText: links === 0 ? ': empty' : `: ${links}`, summary: { kind: 'keyring', links } })),
  user: fc.integer({ min: 0, max: 32767 }).map((bytes) => ({ summaryText: `: ${bytes}`, summary: { kind: 'length', bytes } })),
  logon: fc.integer({ min: 1, max: 32767 }).map((bytes) => ({ summaryText: `: ${bytes}`, summary: { kind: 'length', bytes } })),
  encrypted: fc.integer({ min: 1, max: 8192 }).map((bytes) => ({ summaryText: `: ${bytes}`, summary: { kind: 'length', bytes } })),
  trusted: fc.integer({ min: 1, max: 8192 }).map((bytes) => ({ summaryText: `: ${bytes}`, summary: { kind: 'length', bytes } })),
  big_key: fc
    .tuple(fc.integer({ min: 0, max: 1048575 }), fc.constantFrom('file' as const, 'buff' as const))
    .map(([bytes, storage]) => ({ summaryText: `: ${bytes} [${storage}]`, summary: { kind: 'big_key', bytes, storage } })),
  asymmetric: fc
    .tuple(fc.constantFrom('X509.rsa', 'X509.RSA', 'X509.ecdsa-nist-p256', 'X509.ecdsa-nist-p384', 'X509.sm2', 'X509.ecrdsa', 'PKCS#7.rsa', 'PGP.rsa'), fc.option(lowerHex(8, 8), { nil: null }))
    .map(([subtype, tail]) => ({ summaryText: `: ${subtype}${tail === null ? '' : ` ${tail}`} []`, summary: { kind: 'asymmetric', subtype, keyIdTail: tail } })),
  dns_resolver: fc.oneof(
    fc.integer({ min: 1, max: 133 }).map((errno) => ({ summaryText: `: -${errno}`, summary: { kind: 'error' as const, errno } })),
    fc.integer({ min: 0, max: 65535 }).map((bytes) => ({ summaryText: `: ${bytes}`, summary: { kind: 'length' as const, bytes } })),
  ),
};

/** Descriptions per type, as userspace or the kernel can set them. */
function descriptionFor(type: string, description: fc.Arbitrary<string>): fc.Arbitrary<string> {
  switch (type) {
    case 'logon':
      // user_defined.c: a logon description needs a ':' that is not its first character
      return fc.tuple(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 1, maxLength: 8 }), description).map(([svc, rest]) => `${svc}:${rest}`.slice(0, 4095));
    case 'blacklist':
      return fc.tuple(fc.constantFrom('tbs:', 'bin:'), fc.integer({ min: 1, max: 64 }), fc.nat()).map(([p, n, seed]) => p + pseudoRandomHex(seed, n * 2));
    case '.fscrypt':
      return fc.tuple(lowerHex(32, 32), fc.integer({ min: 0, max: 4294967295 })).map(([id, uid]) => `${id}.uid.${uid}`);
    default:
      return description;
  }
}

function pseudoRandomHex(seed: number, length: number): string {
  const rnd = mulberry32(seed);
  let s = '';
  for (let i = 0; i < length; i++) s += '0123456789abcdef'[Math.floor(rnd() * 16)];
  return s;
}

export const SUMMARY_TYPES = ['keyring', 'user', 'logon', 'big_key', 'asymmetric', 'dns_resolver', 'encrypted', 'trusted'] as const;
const PLAIN_TYPES = ['blacklist', '.fscrypt'] as const;

const commonArb = fc.record({ usage: usageArb, perm: permArb, uid: idArb, gid: idArb, q: fc.boolean() });

/** A positively instantiated key of one of `types` (all of which print a summary), possibly invalidated. */
export function positiveKeyBodyArb(
  types: readonly (typeof SUMMARY_TYPES)[number][] = SUMMARY_TYPES,
  description: fc.Arbitrary<string> = singleLineDescriptionArb,
): fc.Arbitrary<KeyBody> {
  return fc
    .tuple(commonArb, fc.constantFrom(...types), fc.boolean(), anyExpiryArb)
    .chain(([c, type, invalidated, expiry]) =>
      fc.tuple(descriptionFor(type, description), positiveSummaryArb[type] as fc.Arbitrary<{ summaryText: string; summary: ExpectedSummary }>).map(
        ([desc, s]): KeyBody => ({
          ...c,
          state: invalidated ? 'invalidated' : 'positive',
          flags: flagString({ i: true, q: c.q, inv: invalidated }),
          expiry,
          type,
          typeColumn: typeColumn(type),
          description: desc,
          summaryText: s.summaryText,
          summary: s.summary,
        }),
      ),
    );
}

/**
 * One record body with a description drawn from `description` (which decides whether it may hold "\n").
 * States: positive (I), invalidated (I..i), revoked (IR, expd), negative (I and N), under construction (U without I).
 */
export function keyBodyArb(description: fc.Arbitrary<string> = singleLineDescriptionArb): fc.Arbitrary<KeyBody> {
  const common = commonArb;
  const positive = positiveKeyBodyArb(SUMMARY_TYPES, description);

  const plain = fc.tuple(common, fc.constantFrom(...PLAIN_TYPES)).chain(([c, type]) =>
    descriptionFor(type, description).map(
      (desc): KeyBody => ({ ...c, state: 'positive', flags: flagString({ i: true, q: c.q }), expiry: PERM, type, typeColumn: typeColumn(type), description: desc, summaryText: '', summary: null }),
    ),
  );

  // .request_key_auth: "key:<target serial hex, unpadded>" + " pid:<pid> ci:<callout length>" while positive.
  const requestKeyAuth = fc
    .tuple(common, fc.integer({ min: 3, max: 0x7fffffff }), fc.integer({ min: 1, max: 4194304 }), fc.integer({ min: 0, max: 4096 }))
    .map(([c, target, pid, ci]): KeyBody => {
      const t = target.toString(16);
      return {
        ...c,
        state: 'positive',
        flags: flagString({ i: true, q: false }),
        expiry: PERM,
        type: '.request_key_auth',
        typeColumn: typeColumn('.request_key_auth'),
        description: t,
        summaryText: `key: pid:${pid} ci:${ci}`,
        summary: { kind: 'request_key_auth', targetSerial: t, pid, calloutLength: ci },
      };
    });

  // Revoked: expiry "expd" (key_revoke() stores the revocation time there); user/logon drop their payload (": 0"),
  // a keyring is cleared (": empty"), an auth key releases its payload and prints nothing at all.
  const revoked = fc.tuple(common, fc.constantFrom('user', 'logon', 'keyring', '.request_key_auth')).chain(([c, type]) => {
    const flags = flagString({ i: true, r: true, q: c.q });
    if (type === '.request_key_auth')
      return fc.constant<KeyBody>({ ...c, state: 'revoked', flags, expiry: EXPD, type, typeColumn: typeColumn(type), description: '', summaryText: '', summary: null });
    return descriptionFor(type, description).map(
      (desc): KeyBody => ({
        ...c,
        state: 'revoked',
        flags,
        expiry: EXPD,
        type,
        typeColumn: typeColumn(type),
        description: desc,
        summaryText: type === 'keyring' ? ': empty' : ': 0',
        summary: type === 'keyring' ? { kind: 'keyring', links: 0 } : { kind: 'length', bytes: 0 },
      }),
    );
  });

  // Negative (I and N) and under construction (U without I): describe() prints the description only.
  const unfinished = fc
    .tuple(common, fc.constantFrom('user', 'logon', 'keyring', 'dns_resolver', 'big_key', 'asymmetric', 'id_resolver', 'cifs.spnego'), fc.boolean(), fc.oneof(timeoutArb, fc.constant(EXPD)))
    .chain(([c, type, negative, negExpiry]) =>
      descriptionFor(type, description).map(
        (desc): KeyBody => ({
          ...c,
          state: negative ? 'negative' : 'construction',
          flags: negative ? flagString({ i: true, q: c.q, n: true }) : flagString({ q: c.q, u: true }),
          expiry: negative ? negExpiry : PERM,
          type,
          typeColumn: typeColumn(type),
          description: desc,
          summaryText: '',
          summary: null,
        }),
      ),
    );

  return fc.oneof(
    { weight: 8, arbitrary: positive },
    { weight: 1, arbitrary: plain },
    { weight: 1, arbitrary: requestKeyAuth },
    { weight: 2, arbitrary: revoked },
    { weight: 2, arbitrary: unfinished },
  );
}

/** What describe() prints after the type column's space. */
export function describeText(b: Pick<KeyBody, 'type' | 'description' | 'summaryText' | 'summary'>): string {
  if (b.summary?.kind === 'request_key_auth') return b.summaryText.slice(0, 4) + b.description + b.summaryText.slice(4);
  return b.description + b.summaryText;
}

/** The fixed prefix, exactly `"%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s "`. */
export function renderHeader(k: Pick<ExpectedKey, 'serial' | 'flags' | 'usage' | 'expiry' | 'perm' | 'uid' | 'gid' | 'typeColumn'>): string {
  return `${hex8(k.serial)} ${k.flags} ${padLeft(String(k.usage), 5)} ${padLeft(k.expiry.raw, 4)} ${k.perm} ${padLeft(String(k.uid), 5)} ${padLeft(String(k.gid), 5)} ${k.typeColumn} `;
}

/** Give a body its serial: the full expected record, its `line` left at 0. */
export function withSerial(body: KeyBody, serial: number): ExpectedKey {
  const k = { ...body, serial, serialHex: hex8(serial) };
  const text = describeText(k);
  return { ...k, text, header: renderHeader(k), line: 0, lineCount: text.split('\n').length };
}

/** One record as the kernel prints it, without the final "\n". */
export function renderRecord(k: ExpectedKey): string {
  return k.header + k.text;
}

/** A whole file: the records in order, each ended with "\n"; fills in each record's `line`. */
export function renderKeysFile(keys: ExpectedKey[]): GeneratedKeysFile {
  let line = 1;
  const out: ExpectedKey[] = [];
  for (const k of keys) {
    out.push({ ...k, line });
    line += k.lineCount;
  }
  return { text: out.map((k) => `${renderRecord(k)}\n`).join(''), keys: out };
}

/** A lone well-formed record of any kind (serial in the kernel's range 3..0x7fffffff). */
export const keyRecordArb = (description: fc.Arbitrary<string> = singleLineDescriptionArb): fc.Arbitrary<ExpectedKey> =>
  fc.tuple(keyBodyArb(description), fc.integer({ min: 3, max: 0x7fffffff })).map(([b, s]) => withSerial(b, s));

/** Strictly ascending serials in 3..0x7fffffff (one read of /proc/keys walks the serial tree in order). */
export const ascendingSerialsArb = (min: number, max: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(fc.oneof(fc.integer({ min: 3, max: 0x7fffffff }), fc.integer({ min: 3, max: 5000 })), { minLength: min, maxLength: max }).map((s) => [...s].sort((a, b) => a - b));

/** Under CRLF detection a file whose every line ends with CR is read as CRLF: avoided here (see parser header). */
const everyLineEndsWithCr = (text: string): boolean => {
  const lines = text.split('\n');
  lines.pop();
  return lines.length > 0 && lines.every((l) => l.endsWith('\r'));
};

/**
 * A well-formed /proc/keys file of 1..`maxKeys` records with single-line descriptions.
 * Files in which every physical line ends with "\r" are not generated: the parser reads those as CRLF pastes.
 */
export const keysFileArb = (maxKeys = 25, description: fc.Arbitrary<string> = singleLineDescriptionArb): fc.Arbitrary<GeneratedKeysFile> =>
  ascendingSerialsArb(1, maxKeys)
    .chain((serials) => fc.tuple(fc.constant(serials), fc.array(keyBodyArb(description), { minLength: serials.length, maxLength: serials.length })))
    .map(([serials, bodies]) => renderKeysFile(bodies.map((b, i) => withSerial(b, serials[i] as number))))
    .filter((f) => !everyLineEndsWithCr(f.text));

/**
 * A well-formed file in which some records (at least one) have descriptions spanning several physical lines.
 * No physical line after a record's first looks like the start of a record.
 */
export const multiLineKeysFileArb = (maxKeys = 12): fc.Arbitrary<GeneratedKeysFile> =>
  ascendingSerialsArb(1, maxKeys)
    .chain((serials) =>
      fc.tuple(
        fc.constant(serials),
        fc.array(fc.oneof({ weight: 1, arbitrary: keyBodyArb(multiLineDescriptionArb) }, { weight: 1, arbitrary: keyBodyArb() }), { minLength: serials.length, maxLength: serials.length }),
        fc.nat(),
        keyBodyArb(multiLineDescriptionArb),
      ),
    )
    .map(([serials, bodies, pick, multi]) => {
      const all = [...bodies];
      if (!all.some((b) => b.description.includes('\n'))) all[pick % all.length] = multi;
      return renderKeysFile(all.map((b, i) => withSerial(b, serials[i] as number)));
    })
    .filter((f) => f.keys.some((k) => k.lineCount > 1) && !everyLineEndsWithCr(f.text));

// ---------------------------------------------------------------------------------------------------------------
// /proc/key-users

export interface ExpectedKeyUser {
  uid: number;
  usage: number;
  nkeys: number;
  nikeys: number;
  qnkeys: number;
  maxkeys: number;
  qnbytes: number;
  maxbytes: number;
  line: number;
}

export interface GeneratedKeyUsersFile {
  text: string;
  users: ExpectedKeyUser[];
}

/** `"%5u: %5d %d/%d %d/%d %d/%d\n"` */
export function renderKeyUser(u: Omit<ExpectedKeyUser, 'line'>): string {
  return `${padLeft(String(u.uid), 5)}: ${padLeft(String(u.usage), 5)} ${u.nkeys}/${u.nikeys} ${u.qnkeys}/${u.maxkeys} ${u.qnbytes}/${u.maxbytes}\n`;
}

const counterArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 1000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2147483647 }) });

/** One quota record; root gets the root_maxkeys/root_maxbytes defaults more often. */
const keyUserBodyArb = fc
  .record({
    usage: counterArb,
    nkeys: counterArb,
    nikeys: counterArb,
    qnkeys: counterArb,
    limits: fc.oneof(fc.constantFrom([200, 20000], [1000000, 25000000], [100, 10000]), fc.tuple(counterArb, counterArb)),
    qnbytes: counterArb,
  })
  .map(({ limits, ...r }) => ({ ...r, maxkeys: limits[0] as number, maxbytes: limits[1] as number }));

/** A /proc/key-users file: uids unique and ascending (kernel uid order), widened uids (> 5 digits) included. */
export const keyUsersFileArb = (maxUsers = 40): fc.Arbitrary<GeneratedKeyUsersFile> =>
  fc
    .uniqueArray(fc.oneof(fc.constantFrom(0, 1000, 65534, 99999, 100000, 4294967295), fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 4294967295 })), { minLength: 0, maxLength: maxUsers })
    .chain((uids) => {
      const sorted = [...uids].sort((a, b) => a - b);
      return fc.array(keyUserBodyArb, { minLength: sorted.length, maxLength: sorted.length }).map((bodies) => {
        const users = bodies.map((b, i) => ({ uid: sorted[i] as number, ...b, line: i + 1 }));
        return { text: users.map(({ line: _line, ...u }) => renderKeyUser(u)).join(''), users };
      });
    });

// ---------------------------------------------------------------------------------------------------------------
// Line accounting (structural types: no import of the code under test)

/** The physical lines of a file as the parser numbers them: split on "\n"; a final "\n" ends the last line. */
export function physicalLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

export interface AccountedRecord {
  line: number;
  lineCount: number;
  serialNumber: number;
  embeddedRecordLines: readonly number[];
}
export interface AccountedIssue {
  code: string;
  line: number;
}

/**
 * Every physical line of a /proc/keys parse is accounted for exactly once: the first line of a record, inside a
 * record's span (line .. line+lineCount-1), or the line of exactly one issue. Record spans are disjoint and in
 * order, serials strictly ascending, embedded record lines inside their record (never its first line). Inside a
 * record only a `missing_summary` issue on its first line is allowed; `no_trailing_newline` is reported once, on
 * the last line, exactly when the text does not end with "\n". Returns the problems found (empty when sound).
 */
export function keysAccountingProblems(text: string, r: { records: readonly AccountedRecord[]; issues: readonly AccountedIssue[] }): string[] {
  const problems: string[] = [];
  const n = physicalLines(text).length;
  const owner = new Array<number>(n + 1).fill(-1);
  let prevEnd = 0;
  let prevSerial = -1;
  r.records.forEach((rec, idx) => {
    const end = rec.line + rec.lineCount - 1;
    if (!Number.isInteger(rec.line) || rec.line < 1 || rec.lineCount < 1 || end > n) problems.push(`record ${idx} spans ${rec.line}..${end} of ${n} lines`);
    if (rec.line <= prevEnd) problems.push(`record ${idx} at line ${rec.line} overlaps or precedes the previous record (ends at ${prevEnd})`);
    if (rec.serialNumber <= prevSerial) problems.push(`record ${idx} serial ${rec.serialNumber} not above the previous ${prevSerial}`);
    for (const e of rec.embeddedRecordLines) if (e <= rec.line || e > end) problems.push(`record ${idx} (${rec.line}..${end}) lists embedded line ${e} outside its continuation lines`);
    for (let l = Math.max(1, rec.line); l <= Math.min(end, n); l++) owner[l] = idx;
    prevEnd = Math.max(prevEnd, end);
    prevSerial = rec.serialNumber;
  });
  const perLine = new Array<number>(n + 1).fill(0);
  let noNewline = 0;
  for (const i of r.issues) {
    if (i.line < 1 || i.line > n) {
      problems.push(`issue ${i.code} at line ${i.line} of ${n}`);
      continue;
    }
    if (i.code === 'no_trailing_newline') {
      noNewline++;
      if (i.line !== n) problems.push(`no_trailing_newline at line ${i.line}, not the last line ${n}`);
      continue;
    }
    const o = owner[i.line] as number;
    if (o >= 0) {
      const rec = r.records[o] as AccountedRecord;
      // missing_summary marks a record's first line; near_record_line marks a continuation line (never the first)
      const allowed = (i.code === 'missing_summary' && i.line === rec.line) || (i.code === 'near_record_line' && i.line > rec.line);
      if (!allowed) problems.push(`issue ${i.code} at line ${i.line}, inside the record at line ${rec.line}`);
    }
    perLine[i.line] = (perLine[i.line] as number) + 1;
  }
  for (let l = 1; l <= n; l++) {
    const inRecord = (owner[l] as number) >= 0;
    const count = perLine[l] as number;
    if (!inRecord && count !== 1) problems.push(`line ${l} is in no record and has ${count} issues`);
    if (inRecord && count > 1) problems.push(`line ${l} (in a record) has ${count} issues`);
  }
  const expectNoNewline = text !== '' && !text.endsWith('\n') ? 1 : 0;
  if (noNewline !== expectNoNewline) problems.push(`${noNewline} no_trailing_newline issues, expected ${expectNoNewline}`);
  return problems;
}

/** The same for /proc/key-users: each physical line is one user or one issue; no_trailing_newline as above. */
export function keyUsersAccountingProblems(text: string, r: { users: readonly { line: number }[]; issues: readonly AccountedIssue[] }): string[] {
  const problems: string[] = [];
  const n = physicalLines(text).length;
  const count = new Array<number>(n + 1).fill(0);
  for (const u of r.users) {
    if (u.line < 1 || u.line > n) problems.push(`user at line ${u.line} of ${n}`);
    else count[u.line] = (count[u.line] as number) + 1;
  }
  let noNewline = 0;
  for (const i of r.issues) {
    if (i.code === 'no_trailing_newline') noNewline++;
    else if (i.line < 1 || i.line > n) problems.push(`issue ${i.code} at line ${i.line} of ${n}`);
    else count[i.line] = (count[i.line] as number) + 1;
  }
  for (let l = 1; l <= n; l++) if (count[l] !== 1) problems.push(`line ${l} is accounted for ${count[l]} times`);
  const expectNoNewline = text !== '' && !text.endsWith('\n') ? 1 : 0;
  if (noNewline !== expectNoNewline) problems.push(`${noNewline} no_trailing_newline issues, expected ${expectNoNewline}`);
  return problems;
}
