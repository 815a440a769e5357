import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

/** "in 2 to 3 days" from the bounds the kernel's truncated expiry text allows. */
export function within(seconds: number, maxSeconds: number): string {
  const fmt = (s: number): string =>
    s >= 86400 ? `${Math.floor(s / 86400)} d` : s >= 3600 ? `${Math.floor(s / 3600)} h` : s >= 60 ? `${Math.floor(s / 60)} min` : `${s} s`;
  return seconds === maxSeconds ? `in ${fmt(seconds)}` : `in ${fmt(seconds)} to ${fmt(maxSeconds + 1)}`;
}

export const persistentKeyringExpiring: Check = {
  id: 'persistent_keyring_expiring',
  severity: 'warning',
  rationale:
    'A persistent keyring\'s expiry is reset only by KEYCTL_GET_PERSISTENT; when it runs out the keyring and the keys only ' +
    'it holds are collected, so cron jobs lose the Kerberos tickets kept there (persistent-keyring(7), security/keys/persistent.c).',
  fix:
    'Renew the keyring before it expires by running keyctl get_persistent @u as the user from a systemd timer or cron job, or keep Kerberos credentials in KCM: instead of KEYRING:persistent.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const k of ctx.reportableOfClass('persistent')) {
      if (k.summary?.kind !== 'keyring' || k.summary.links === 0) continue;
      const links = k.summary.links;
      const remediation =
        `Renew it before it expires: run \`keyctl get_persistent @u\` as uid ${k.uid} from a systemd timer or cron job ` +
        '(every few hours), or keep Kerberos credentials in KCM: instead of KEYRING:persistent.';
      if (k.expiry.kind === 'expd')
        findings.push({
          check: 'persistent_keyring_expiring',
          severity: 'critical',
          uid: k.uid,
          serial: k.serial,
          line: k.line,
          message: `the persistent keyring of uid ${k.uid} has expired and still holds ${links} key${links > 1 ? 's' : ''}: the garbage collector is about to remove them`,
          remediation,
        });
      else if (k.expiry.kind === 'timeout' && k.expiry.seconds !== null && k.expiry.seconds < ctx.config.persistent.expiringWithinSeconds)
        findings.push({
          check: 'persistent_keyring_expiring',
          severity: 'warning',
          uid: k.uid,
          serial: k.serial,
          line: k.line,
          message: `the persistent keyring of uid ${k.uid} holds ${links} key${links > 1 ? 's' : ''} and expires ${within(k.expiry.seconds, k.expiry.maxSeconds ?? k.expiry.seconds)}`,
          remediation,
        });
    }
    return findings;
  },
};
