import { isDiskSecret } from '../../classify/record-pass.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { quoted } from './key-groups.js';
import { within } from './persistent-keyring-expiring.js';

export const cachedDiskSecret: Check = {
  id: 'cached_disk_secret',
  severity: 'warning',
  rationale:
    'systemd\'s ask-password caches a disk passphrase as root\'s user key "cryptsetup" for 2.5 minutes, so that several disks unlock with ' +
    'one prompt, and cryptsetup unlinks the volume key it loads for dm-crypt (logon key "cryptsetup:<UUID>-d<N>") once the device is active ' +
    '(systemd src/shared/ask-password-api.c, cryptsetup lib/utils_keyring.c): one held longer, or forever, keeps a disk\'s secret in kernel memory ' +
    'for anyone who gets root or the key\'s possessor.',
  fix: 'Revoke it as root (`keyctl revoke SERIAL`), and find what keeps it: a unit or script that raised its timeout or linked it elsewhere.',
  run(ctx) {
    const max = ctx.config.secrets.passphraseMaxSeconds;
    const findings: Finding[] = [];
    for (const k of ctx.inventory.notable) {
      if (!isDiskSecret(k) || k.state !== 'instantiated' || k.suspect.length > 0 || ctx.allowed(k)) continue;
      const passphrase = k.type.name === 'user';
      const what = passphrase ? 'a disk passphrase cached by systemd\'s ask-password' : `the dm-crypt volume key ${quoted(k)} cryptsetup loaded`;
      let held: string | null = null;
      if (k.expiry.kind === 'perm') held = 'never expires';
      else if (passphrase && k.expiry.kind === 'timeout' && k.expiry.seconds !== null && k.expiry.seconds > max)
        held = `expires ${within(k.expiry.seconds, k.expiry.maxSeconds ?? k.expiry.seconds)}, later than the ${max} s ask-password caches it for`;
      else if (!passphrase) held = 'is still held after the device was activated';
      if (held === null) continue;
      findings.push({
        check: 'cached_disk_secret',
        severity: 'warning',
        uid: 0,
        serial: k.serial,
        line: k.line,
        message: `root holds ${what} (${k.type.name} key ${k.serial}) that ${held}`,
        remediation: `As root, \`keyctl revoke ${Number.parseInt(k.serial, 16)}\`; then find what keeps it (a unit or script that raised its timeout with keyctl timeout, or linked it to another keyring).`,
      });
    }
    return findings;
  },
};
