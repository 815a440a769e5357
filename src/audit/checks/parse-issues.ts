import { escapeByteString } from '../../parser/byte-string.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

export const parseIssues: Check = {
  id: 'parse_issues',
  severity: 'warning',
  rationale:
    'Every line proc_keys_show() and proc_key_users_show() print has a fixed form; a line that has none, or a file that ' +
    'cannot be read, means part of the host was not audited (security/keys/proc.c).',
  fix:
    'Run where the host\'s /proc is visible (on the host, or --path.procfs pointing at it); if a live kernel printed the damaged line, capture it with keyring-exporter capture and report it.',
  run(ctx) {
    const findings: Finding[] = [];
    const { files } = ctx.inventory;
    for (const f of [files.keys, files.keyUsers, ...Object.values(files.sysctls)]) {
      if (f.status === 'ok') continue;
      // Kernels without CONFIG_PERSISTENT_KEYRINGS (or before 3.13) have no such file: nothing is missed.
      if (f === files.sysctls.persistent_keyring_expiry && f.status === 'absent') {
        findings.push({
          check: 'parse_issues',
          severity: 'info',
          message: `${escapeByteString(f.path)} is absent: this kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS off, or before Linux 3.13)`,
          remediation: 'Nothing to do, unless Kerberos is configured with KEYRING:persistent ccaches: those need a kernel with persistent keyrings.',
        });
        continue;
      }
      findings.push({
        check: 'parse_issues',
        severity: 'warning',
        message: `${escapeByteString(f.path)} could not be read (${f.status}${f.error !== undefined ? `: ${escapeByteString(f.error)}` : ''}): what it shows was not audited`,
        remediation: 'Run where the host /proc is visible (on the host, or with --path.procfs pointing at the host\'s /proc); containers usually mask /proc/keys.',
      });
    }
    for (const i of ctx.inventory.issues)
      findings.push({
        check: 'parse_issues',
        severity: 'warning',
        ...(i.line > 0 ? { line: i.line } : {}),
        message: `${i.file}${i.line > 0 ? ` line ${i.line}` : ''}: ${i.code}: ${escapeByteString(i.message)}`,
        remediation: 'If this file came from a live kernel, capture it (`keyring-exporter capture DIR`) and report it; pasted or edited copies are often re-spaced or cut.',
      });
    return findings;
  },
};
