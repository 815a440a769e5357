import type { Check } from '../check.js';
import { examples } from './key-groups.js';
import { UPCALL_TEXT } from './upcall-text.js';

export const upcallEntryNeverExpires: Check = {
  id: 'upcall_entry_never_expires',
  severity: 'warning',
  rationale:
    'An upcall answer is cached for the timeout its helper sets (key.dns_resolver the DNS TTL, nfsidmap its -t): one cached without a ' +
    'timeout is used until someone clears it, so a name keeps its old address and an owner its old id after they change (keyrings(7), net/dns_resolver/).',
  fix: 'Give the helper a timeout (key.dns_resolver.conf default_ttl, nfsidmap -t), then clear the cache.',
  run(ctx) {
    return ctx.inventory.upcall
      .map((c) => ({ ...c, permanent: c.permanent.filter((k) => !ctx.allowed(k)) }))
      .filter((c) => c.permanent.length > 0)
      .map((c) => ({
        check: 'upcall_entry_never_expires',
        severity: 'warning' as const,
        message:
          c.permanent.length === 1
            ? `1 ${c.type} entry never expires (${examples(c.permanent)}): it never follows a change of what it caches`
            : `${c.permanent.length} ${c.type} entries never expire (${examples(c.permanent)}): they never follow a change of what they cache`,
        remediation: `${UPCALL_TEXT[c.type].timeout}.`,
      }));
  },
};
