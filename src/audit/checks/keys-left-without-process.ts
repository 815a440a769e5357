import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

const counts = (o: Record<string, number>): string =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

export const keysLeftWithoutProcess: Check = {
  id: 'keys_left_without_process',
  severity: 'warning',
  rationale:
    'Keys outlive the processes that made them: a persistent keyring keeps its keys for days after the last login, and user and ' +
    'logon keys linked there or in the user keyring stay in kernel memory until they expire or are revoked (persistent-keyring(7), ' +
    'user-keyring(7)); a uid that runs no process and still owns secrets left them behind.',
  fix:
    'As root, `keyctl invalidate $(keyctl get_persistent @s UID)` drops a persistent keyring and what it holds; as the uid, `keyctl clear @u` empties its user keyring; ' +
    'have the logout path clear them (pam_keyinit revoke, kdestroy, fscrypt lock).',
  run(ctx) {
    const findings: Finding[] = [];
    for (const p of ctx.inventory.processless ?? []) {
      if (ctx.config.allow.uids.includes(p.uid)) continue;
      const seen = Object.values(p.byType).reduce((a, b) => a + b, 0);
      const shown = seen === 0 ? 'none of them visible to this reader' : `${seen} visible: ${counts(p.byType)}; by class ${counts(p.byClass)}`;
      findings.push({
        check: 'keys_left_without_process',
        severity: p.secrets > 0 ? 'warning' : 'info',
        uid: p.uid,
        message: `uid ${p.uid} runs no process but owns ${p.owned} key${p.owned === 1 ? '' : 's'} (${shown})${p.secrets > 0 ? `, ${p.secrets} of them holding a secret` : ''}`,
        remediation:
          `${seen === 0 ? 'Run the audit as root with --view all-users to see them. ' : '`keyring-exporter keys --view all-users` lists them. '}` +
          `As root, \`keyctl invalidate $(keyctl get_persistent @s ${p.uid})\` drops its persistent keyring and what it holds; ` +
          `\`setpriv --reuid=${p.uid} --regid=${p.uid} --clear-groups keyctl clear @u\` empties its user keyring. Then have its logout clear them.`,
      });
    }
    return findings;
  },
};
