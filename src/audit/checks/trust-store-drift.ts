import type { TrustKeyring } from '../../classify/trust-store.js';
import { escapeByteString } from '../../parser/byte-string.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

/** What a keyring of each role admits, for messages. */
const ADMITS: Record<TrustKeyring['role'], string> = {
  code: 'which kernel modules and kexec images the kernel loads',
  files: 'which files IMA and EVM accept',
  blacklist: 'what the kernel refuses',
  other: 'what the kernel trusts it for',
};

/** Keyrings of one name are one (two `_ima`, say), as the baseline keeps them. */
function byName<T extends { name: string }>(list: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const k of list) m.set(k.name, [...(m.get(k.name) ?? []), k]);
  return m;
}

export const trustStoreDrift: Check = {
  id: 'trust_store_drift',
  severity: 'critical',
  rationale:
    'A certificate in .builtin_trusted_keys, .secondary_trusted_keys, .machine or .platform lets whoever holds its private key load ' +
    'kernel modules and kexec images, and one in .ima/.evm (or _ima/_evm) lets them sign the files IMA and EVM accept; a change ' +
    'since the saved trust store is a Secure Boot, MOK or root action to account for (certs/system_keyring.c, security/integrity/digsig.c).',
  fix:
    'Account for every certificate added since the baseline (`keyring-exporter trust-store` shows each one, `mokutil --list-enrolled` the MOK ' +
    'list); when the change is expected, save a new baseline with `keyring-exporter trust-store --save FILE`.',
  run(ctx) {
    const baseline = ctx.config.trustStore.baseline;
    if (baseline === null) return [];
    const store = ctx.inventory.trustStore;
    const where = `the baseline ${escapeByteString(baseline.path)} (saved ${escapeByteString(baseline.saved.time)} on ${escapeByteString(baseline.saved.host)})`;
    const resave = `When the change is expected, save a new baseline: \`keyring-exporter trust-store --save ${baseline.path}\`.`;
    if (!store.known)
      return [
        {
          check: 'trust_store_drift',
          severity: 'warning',
          message: `the trust store cannot be compared with ${where}: ${store.why}`,
          remediation: 'Run the audit as root on the live /proc, where the kernel can be asked what its keyrings hold, or audit a capture made by this version.',
        },
      ];
    const findings: Finding[] = [];
    const now = byName(store.keyrings);
    const saved = byName(baseline.saved.keyrings);
    for (const [name, rings] of now) {
      const before = saved.get(name) ?? [];
      const known = new Set(before.flatMap((b) => b.certificates.map((c) => c.description)));
      const role = (rings[0] as TrustKeyring).role;
      for (const ring of rings)
        for (const key of ring.keys) {
          if (key.type !== 'asymmetric' || known.has(key.description)) continue;
          known.add(key.description);
          const trusts = role === 'code' || role === 'files';
          findings.push({
            check: 'trust_store_drift',
            severity: trusts ? 'critical' : 'warning',
            uid: 0,
            serial: key.serial.toString(16).padStart(8, '0'),
            message:
              `certificate "${escapeByteString(key.subject ?? key.description)}"${key.keyId !== null ? ` (key id ${key.keyId})` : ''} is in ${escapeByteString(name)}, ` +
              `which decides ${ADMITS[role]}, and was not in ${where}`,
            remediation: `Find who added it and why (\`keyctl show %:${escapeByteString(name)}\`, \`mokutil --list-enrolled\`, the boot and audit logs). ${resave}`,
          });
        }
      const keysNow = rings.reduce((n, r) => n + r.keys.length, 0);
      const keysBefore = before.reduce((n, b) => n + b.keys, 0);
      if (role === 'blacklist' && keysNow < keysBefore)
        findings.push({
          check: 'trust_store_drift',
          severity: 'warning',
          uid: 0,
          message: `the blacklist ${escapeByteString(name)} holds ${keysNow} keys, fewer than the ${keysBefore} of ${where}: hashes or certificates the kernel refused are accepted again`,
          remediation: `A blacklist only grows while the system runs: check the firmware's dbx and the kernel's CONFIG_SYSTEM_BLACKLIST_HASH_LIST, and what booted. ${resave}`,
        });
    }
    for (const [name, before] of saved) {
      const rings = now.get(name) ?? [];
      const present = new Set(rings.flatMap((r) => r.keys.map((k) => k.description)));
      for (const c of before.flatMap((b) => b.certificates))
        if (!present.has(c.description))
          findings.push({
            check: 'trust_store_drift',
            severity: 'warning',
            uid: 0,
            message:
              `certificate "${escapeByteString(c.subject ?? c.description)}"${c.keyId !== null ? ` (key id ${c.keyId})` : ''} of ${escapeByteString(name)} in ${where} ` +
              (rings.length === 0 ? `is gone with the keyring, which this kernel no longer has` : 'is no longer in it'),
            remediation: `Code signed only by it no longer loads; check that the removal was intended (a certificate rotation, a revocation). ${resave}`,
          });
    }
    return findings;
  },
};
