import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { within } from './persistent-keyring-expiring.js';

export const kerberosTgtExpiring: Check = {
  id: 'kerberos_tgt_expiring',
  severity: 'warning',
  rationale:
    'MIT Kerberos sets the timeout of a ticket kept in a keyring to the ticket\'s end (krb5 src/lib/krb5/ccache/cc_keyring.c): once a TGT ends, ' +
    'every job using its cache fails to authenticate, whether or not a ticket is still listed.',
  fix: 'Renew the TGT before it ends, as the user: kinit -R for a renewable ticket, or kinit -k -t KEYTAB PRINCIPAL from a timer; klist -A lists the caches.',
  run(ctx) {
    const within_ = ctx.config.kerberos.tgtExpiringWithinSeconds;
    const findings: Finding[] = [];
    for (const h of ctx.inventory.kerberos) {
      if (ctx.config.allow.uids.includes(h.uid)) continue;
      const ending = h.tickets.filter((t) => t.tgtRealm !== null && !t.expired && t.secondsLeft !== null && t.secondsLeft < within_);
      if (ending.length === 0) continue;
      const first = ending.reduce((a, b) => ((b.secondsLeft ?? 0) < (a.secondsLeft ?? 0) ? b : a));
      const realms = [...new Set(ending.map((t) => t.tgtRealm))].join(', ');
      findings.push({
        check: 'kerberos_tgt_expiring',
        severity: 'warning',
        uid: h.uid,
        serial: first.serial,
        message: `uid ${h.uid} holds ${ending.length} Kerberos TGT${ending.length > 1 ? 's' : ''} (realm ${realms}) ending within ${Math.round(within_ / 60)} min, the first ${within(first.secondsLeft ?? 0, first.maxSecondsLeft ?? first.secondsLeft ?? 0)}: jobs using ${ending.length > 1 ? 'those caches' : 'that cache'} cannot authenticate after`,
        remediation: `As uid ${h.uid}, renew before then: \`kinit -R\` for a renewable ticket, or \`kinit -k -t KEYTAB PRINCIPAL\` from a systemd timer; \`klist -A\` lists the caches and their tickets.`,
      });
    }
    return findings;
  },
};
