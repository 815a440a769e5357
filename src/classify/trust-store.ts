/**
 * The kernel's trust store: which certificate is in which of the kernel's keyrings, as the kernel lists and
 * describes them (parser/trust-keyrings.ts). What each keyring admits decides how much a change to it matters:
 *   - code: kernel modules and kexec images are verified against .builtin_trusted_keys, .secondary_trusted_keys
 *     (which links .builtin_trusted_keys and .machine) and .platform (certs/system_keyring.c
 *     verify_pkcs7_signature(), security/integrity/platform_certs/);
 *   - files: IMA and EVM appraise files against .ima and .evm, or `_ima` and `_evm` where userspace made them
 *     (security/integrity/digsig.c);
 *   - blacklist: hashes (`blacklist` keys, `bin:`/`tbs:`) and certificates the kernel refuses (certs/blacklist.c);
 *   - other: any other kernel keyring, listed only when it holds an asymmetric key.
 * A certificate's subject and key id are those the kernel gave it (parser/x509-identity.ts), its algorithm the
 * subtype /proc/keys prints (`X509.rsa`).
 */
import type { KeyAnswer, KeyDescribed } from '../parser/key-answer.js';
import type { KeyRecord } from '../parser/key-record.js';
import type { Snapshot } from '../parser/snapshot.js';
import { recordsBySerial, isTrustStoreKeyring } from '../parser/trust-keyrings.js';
import { x509Identity } from '../parser/x509-identity.js';

export const TRUST_ROLES = ['code', 'files', 'blacklist', 'other'] as const;
export type TrustRole = (typeof TRUST_ROLES)[number];

/** The kernel's names for its keyrings of certificates, and what each admits. */
export const TRUST_KEYRING_ROLES: Readonly<Record<string, TrustRole>> = {
  '.builtin_trusted_keys': 'code',
  '.secondary_trusted_keys': 'code',
  '.machine': 'code',
  '.platform': 'code',
  '.system_keyring': 'code', // the name of .builtin_trusted_keys before Linux 4.7
  '.ima': 'files',
  '.evm': 'files',
  '.ima_mok': 'files',
  _ima: 'files',
  _evm: 'files',
  '.blacklist': 'blacklist',
  '.ima_blacklist': 'blacklist',
};

/** A key a trust store keyring links. */
export interface TrustedKey {
  serial: number;
  /** The kernel's type name. */
  type: string;
  description: string;
  /** An asymmetric key made from an X.509 certificate: the subject and key id the kernel gave it; else null. */
  subject: string | null;
  keyId: string | null;
  /** The subtype /proc/keys printed (`X509.rsa`, `X509.ecdsa-nist-p384`); null when it printed none. */
  algorithm: string | null;
}

export interface TrustKeyring {
  serial: number;
  name: string;
  role: TrustRole;
  /** Why the kernel would not list the keyring's members (an errno name); null when it did. */
  error: string | null;
  /** The keys it links directly, in the kernel's order. */
  keys: TrustedKey[];
  /** The names of the keyrings it links (.secondary_trusted_keys links .builtin_trusted_keys and .machine). */
  linked: string[];
  /** Members not described: why (the kernel's errno name, e.g. EACCES, or that a capture did not hold them). */
  undescribed: { serial: number; why: string }[];
}

export type TrustStore =
  | { known: true; from: 'kernel' | 'capture'; keyrings: TrustKeyring[] }
  /** Why the trust store is not known: the kernel was not asked, or the capture stored no keyring's members. */
  | { known: false; why: string };

function trustedKey(serial: number, answer: Pick<KeyDescribed, 'type' | 'description'>, record: KeyRecord | undefined): TrustedKey {
  const identity = answer.type === 'asymmetric' ? x509Identity(answer.description) : null;
  const summary = record?.summary;
  return {
    serial,
    type: answer.type,
    description: answer.description,
    subject: identity?.subject ?? null,
    keyId: identity?.keyId ?? null,
    algorithm: summary?.kind === 'asymmetric' ? summary.subtype : null,
  };
}

/** The trust store of a snapshot. Pure. */
export function buildTrustStore(snapshot: Pick<Snapshot, 'keys' | 'trustKeyrings' | 'confirmedBy' | 'answersError'>): TrustStore {
  const lists = snapshot.trustKeyrings;
  if (lists === undefined) {
    const why =
      snapshot.confirmedBy === 'capture'
        ? 'the capture stored no keyring members (made by an older version)'
        : snapshot.answersError !== undefined
          ? `the kernel could not be asked (${snapshot.answersError})`
          : 'the kernel was not asked: the records were read from text alone';
    return { known: false, why };
  }
  if (lists.keyrings.length === 0) return { known: true, from: lists.from, keyrings: [] };
  const find = recordsBySerial(snapshot.keys);
  const described = new Map<number, KeyAnswer>(lists.described.map((a) => [a.serial, a]));
  const keyrings: TrustKeyring[] = [];
  for (const listed of lists.keyrings) {
    const ring = find(listed.serial);
    if (ring === undefined || !isTrustStoreKeyring(ring)) continue;
    const role = TRUST_KEYRING_ROLES[ring.description] ?? 'other';
    const entry: TrustKeyring = { serial: listed.serial, name: ring.description, role, error: listed.errno, keys: [], linked: [], undescribed: [] };
    if (listed.errno === null)
      for (const m of listed.members) {
        const r = find(m);
        const a: Pick<KeyDescribed, 'type' | 'description'> | KeyAnswer | undefined =
          r !== undefined && r.confirmation === 'described' ? { type: r.type.name, description: r.description } : described.get(m);
        if (a === undefined) entry.undescribed.push({ serial: m, why: 'not in the capture' });
        else if ('errno' in a && a.errno !== null) entry.undescribed.push({ serial: m, why: a.errno });
        else if (a.type === 'keyring') entry.linked.push(a.description);
        else entry.keys.push(trustedKey(m, a, r));
      }
    // Another kernel keyring is part of the trust store only when it holds a certificate.
    if (role === 'other' && !entry.keys.some((k) => k.type === 'asymmetric')) continue;
    keyrings.push(entry);
  }
  return { known: true, from: lists.from, keyrings };
}
