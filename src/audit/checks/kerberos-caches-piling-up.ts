import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { ownedKeys } from '../../classify/inventory.js';

export const kerberosCachesPilingUp: Check = {
  id: 'kerberos_caches_piling_up',
  severity: 'warning',
  rationale:
    'Each Kerberos cache in a keyring collection is a keyring of its own with several keys (krb5 cc_keyring.c); clients that make a new cache ' +
    'for each login and never destroy the old ones fill the uid\'s 20,000-byte quota after a few generations, and then kinit fails with EDQUOT.',
  fix: 'As the user, kdestroy the caches no longer used (klist -l lists them; kdestroy -c CACHE, or kdestroy -A for all), and fix the client that makes a new one each time.',
  run(ctx) {
    const findings: Finding[] = [];
    const max = ctx.config.kerberos.maxCaches;
    const maxbytes = new Map((ctx.inventory.users ?? []).map((u) => [u.uid, u]));
    for (const h of ctx.inventory.kerberos) {
      if (h.caches <= max || ctx.config.allow.uids.includes(h.uid)) continue;
      const u = maxbytes.get(h.uid);
      const quota = u !== undefined ? ` (${h.bytes} of the ${u.maxbytes} bytes of its quota; ${ownedKeys(u)} keys)` : '';
      findings.push({
        check: 'kerberos_caches_piling_up',
        severity: 'warning',
        uid: h.uid,
        message: `uid ${h.uid} holds ${h.caches} Kerberos caches, more than ${max}${quota}`,
        remediation: `As uid ${h.uid}: \`klist -l\` lists the caches; \`kdestroy -c CACHE\` each one no longer used (\`kdestroy -A\` destroys all), then find the client that makes a new one each login.`,
      });
    }
    return findings;
  },
};
