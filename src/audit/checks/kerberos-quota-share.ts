import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

export const kerberosQuotaShare: Check = {
  id: 'kerberos_quota_share',
  severity: 'warning',
  rationale:
    'Tickets are some 500 bytes to several kilobytes each (a PAC makes them larger) and count against the owner\'s byte quota, 20,000 bytes by ' +
    'default (kernel.keys.maxbytes): a uid whose Kerberos caches hold most of it cannot kinit or get a service ticket once it is full (EDQUOT).',
  fix: 'Destroy the caches no longer used (kdestroy -c CACHE), or raise kernel.keys.maxbytes.',
  run(ctx) {
    const findings: Finding[] = [];
    const share = ctx.config.kerberos.quotaShare;
    const users = new Map((ctx.inventory.users ?? []).map((u) => [u.uid, u]));
    for (const h of ctx.inventory.kerberos) {
      const u = users.get(h.uid);
      if (u === undefined || u.maxbytes <= 0 || h.bytes / u.maxbytes < share || ctx.config.allow.uids.includes(h.uid)) continue;
      findings.push({
        check: 'kerberos_quota_share',
        severity: 'warning',
        uid: h.uid,
        message: `the Kerberos caches of uid ${h.uid} hold ${h.bytes} of its ${u.maxbytes}-byte key quota (${Math.round((100 * h.bytes) / u.maxbytes)}%; ${h.caches} caches, ${h.tickets.length} tickets)`,
        remediation: `As uid ${h.uid}, \`klist -l\` and \`kdestroy -c CACHE\` for the caches no longer used; or raise kernel.keys.maxbytes (\`sysctl -w kernel.keys.maxbytes=500000\`, in /etc/sysctl.d to keep it).`,
      });
    }
    return findings;
  },
};
