import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

export const kerberosExpiredTickets: Check = {
  id: 'kerberos_expired_tickets',
  severity: 'info',
  rationale:
    'A ticket whose end passed is a dead key: the kernel unlinks it gc_delay seconds later (security/keys/gc.c), but a cache whose TGT ended still ' +
    'names its principal, and a client that picks it gets no credentials (klist shows the cache, kinit is needed again).',
  fix: 'As the user, kinit again, or kdestroy -c CACHE for a cache no longer used.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const h of ctx.inventory.kerberos) {
      const expired = h.tickets.filter((t) => t.expired);
      if (expired.length === 0 || ctx.config.allow.uids.includes(h.uid)) continue;
      const tgts = expired.filter((t) => t.tgtRealm !== null).length;
      findings.push({
        check: 'kerberos_expired_tickets',
        severity: 'info',
        uid: h.uid,
        serial: (expired[0] as (typeof expired)[number]).serial,
        message: `uid ${h.uid} still holds ${expired.length} expired Kerberos ticket${expired.length > 1 ? 's' : ''} (${tgts} TGT${tgts === 1 ? '' : 's'})`,
        remediation: `As uid ${h.uid}: \`klist -A\` shows which caches hold them; \`kinit\` again where the cache is still needed, \`kdestroy -c CACHE\` where it is not.`,
      });
    }
    return findings;
  },
};
