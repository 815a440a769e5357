/**
 * The trust store for people (a text section, shared by `keyring-exporter trust-store` and the audit report) and
 * for machines (the JSON object of `trust-store --format json` and of the audit document). Every description
 * is escaped: the kernel made it from a certificate's subject, which whoever issued the certificate wrote.
 */
import type { TrustKeyring, TrustStore } from '../classify/trust-store.js';
import { escapeByteString } from '../parser/byte-string.js';

/** Keys of a keyring the `keys` table and the audit show; `keyring-exporter trust-store` shows them all. */
export const TRUST_STORE_KEYS_SHOWN = 10;

const ROLE_TEXT: Record<TrustKeyring['role'], string> = {
  code: 'admits kernel modules and kexec images',
  files: 'admits files to IMA/EVM appraisal',
  blacklist: 'refused hashes and certificates',
  other: 'kernel keyring holding certificates',
};

/** One line per keyring, then one per key it links (at most `maxKeys` a keyring, the rest counted). */
export function formatTrustStoreText(store: TrustStore, maxKeys = Number.POSITIVE_INFINITY): string {
  if (!store.known) return `trust store not known: ${store.why}\n`;
  if (store.keyrings.length === 0) return 'trust store: this kernel has none of the keyrings of certificates (.builtin_trusted_keys, .platform, ...) this reader may view\n';
  const out: string[] = [];
  for (const k of store.keyrings) {
    const linked = k.linked.length > 0 ? `; links ${k.linked.map((n) => escapeByteString(n)).join(', ')}` : '';
    const state = k.error !== null ? `not listed (${k.error})` : `${k.keys.length} key${k.keys.length === 1 ? '' : 's'}${linked}`;
    out.push(`${escapeByteString(k.name)} (${ROLE_TEXT[k.role]}, serial ${k.serial.toString(16).padStart(8, '0')}): ${state}`);
    const blacklistHashes = k.keys.filter((key) => key.type === 'blacklist').length;
    if (blacklistHashes > 0) out.push(`  ${blacklistHashes} blacklisted hash${blacklistHashes === 1 ? '' : 'es'}`);
    const shown = k.keys.filter((key) => key.type !== 'blacklist');
    for (const key of shown.slice(0, maxKeys)) {
      const id = key.keyId !== null ? `  key id ${key.keyId}` : '';
      const algo = key.algorithm !== null ? `  ${escapeByteString(key.algorithm)}` : '';
      out.push(`  ${key.serial.toString(16).padStart(8, '0')}  ${escapeByteString(key.type)}  ${escapeByteString(key.subject ?? key.description)}${id}${algo}`);
    }
    if (shown.length > maxKeys) out.push(`  ... and ${shown.length - maxKeys} more (keyring-exporter trust-store lists them all)`);
    for (const u of k.undescribed.slice(0, maxKeys)) out.push(`  ${u.serial.toString(16).padStart(8, '0')}  not described: ${u.why}`);
  }
  return `${out.join('\n')}\n`;
}

/** The trust store as JSON: descriptions escaped as the keys document escapes them. */
export function trustStoreJson(store: TrustStore): object {
  if (!store.known) return { known: false, why: store.why };
  return {
    known: true,
    from: store.from,
    keyrings: store.keyrings.map((k) => ({
      serial: k.serial,
      name: escapeByteString(k.name),
      role: k.role,
      error: k.error,
      linked: k.linked.map((n) => escapeByteString(n)),
      keys: k.keys.map((key) => ({
        serial: key.serial,
        type: escapeByteString(key.type),
        description: escapeByteString(key.description),
        subject: key.subject === null ? null : escapeByteString(key.subject),
        keyId: key.keyId,
        algorithm: key.algorithm === null ? null : escapeByteString(key.algorithm),
      })),
      undescribed: k.undescribed,
    })),
  };
}
