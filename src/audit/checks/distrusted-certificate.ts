import { escapeByteString } from '../../parser/byte-string.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

export const distrustedCertificate: Check = {
  id: 'distrusted_certificate',
  severity: 'warning',
  rationale:
    'The kernel keeps trusting a certificate in its keyrings after it expires or its issuer revokes it: it checks no date and no ' +
    'revocation list for a key it already holds (crypto/asymmetric_keys/, certs/system_keyring.c), so a certificate listed as ' +
    'distrusted in the configuration still signs what the kernel accepts.',
  fix:
    'Remove the certificate where it came from: the firmware db or MOK list (`mokutil --delete`), the kernel build, or the keyring it was ' +
    'added to; add its hash to the firmware dbx or the kernel blacklist to refuse it until then.',
  run(ctx) {
    const listed = ctx.config.trustStore.distrusted;
    const store = ctx.inventory.trustStore;
    if (listed.length === 0 || !store.known) return [];
    const findings: Finding[] = [];
    for (const ring of store.keyrings) {
      if (ring.role === 'blacklist') continue;
      for (const key of ring.keys) {
        const entry = listed.find((d) => (d.keyId === null || d.keyId === key.keyId) && (d.subject === null || d.subject === key.subject));
        if (entry === undefined || key.type !== 'asymmetric') continue;
        findings.push({
          check: 'distrusted_certificate',
          severity: entry.severity,
          uid: 0,
          serial: key.serial.toString(16).padStart(8, '0'),
          message: `certificate "${escapeByteString(key.subject ?? key.description)}"${key.keyId !== null ? ` (key id ${key.keyId})` : ''} is trusted in ${escapeByteString(ring.name)}: ${escapeByteString(entry.reason)}`,
          remediation: distrustedCertificate.fix,
        });
      }
    }
    return findings;
  },
};
