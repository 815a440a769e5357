import type { Check } from '../check.js';
import { examples } from './key-groups.js';
import { UPCALL_TEXT } from './upcall-text.js';

export const upcallFailedEntries: Check = {
  id: 'upcall_failed_entries',
  severity: 'warning',
  rationale:
    'The kernel caches a failed upcall as a negative key (and a DNS error as a dns_resolver key holding it) for its timeout, and every ' +
    'lookup of the same name fails at once meanwhile without asking the helper again (security/keys/request_key.c, net/dns_resolver/dns_key.c): ' +
    'many of them mean a helper or the service behind it is failing.',
  fix: 'Fix the helper the type names (its handler in /etc/request-key.d) or the service behind it (DNS, the NFSv4 id mapping, Kerberos), then clear the cache.',
  run(ctx) {
    const min = ctx.config.upcall.failedMin;
    return ctx.inventory.upcall
      .map((c) => ({ ...c, failed: c.failed.filter((k) => !ctx.allowed(k)) }))
      .filter((c) => c.failed.length >= min && c.type !== '.request_key_auth')
      .map((c) => ({
        check: 'upcall_failed_entries',
        severity: 'warning' as const,
        message: `${c.failed.length} of the ${c.keys.length} ${c.type} entries cache a failed lookup (${examples(c.failed)}): ${UPCALL_TEXT[c.type].breaks} until they expire`,
        remediation: `Check ${UPCALL_TEXT[c.type].helper}.`,
      }));
  },
};
