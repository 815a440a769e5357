import { escapeByteString } from '../../parser/byte-string.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import type { ParseIssue } from '../../parser/parse-issue.js';

/** Problems a finding names, of each file. */
const SHOWN = 3;

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
    // One finding per file, however many problems it has: a hostile file can make one per line.
    const byFile = new Map<string, ParseIssue[]>();
    for (const i of ctx.inventory.issues) byFile.set(i.file, [...(byFile.get(i.file) ?? []), i]);
    for (const [file, list] of byFile) {
      const count = Math.max(ctx.inventory.issueCounts[file as ParseIssue['file']] ?? 0, list.length);
      const shown = list.slice(0, SHOWN).map((i) => `${i.line > 0 ? `line ${i.line}: ` : ''}${i.code}: ${escapeByteString(i.message)}`);
      const first = list[0] as ParseIssue;
      findings.push({
        check: 'parse_issues',
        severity: 'warning',
        ...(first.line > 0 ? { line: first.line } : {}),
        message: `${file}: ${count === 1 ? 'a problem' : `${count} problems`}${count > shown.length ? `, the first ${shown.length}` : ''}: ${shown.join('; ')}`,
        remediation: 'If this file came from a live kernel, capture it (`keyring-exporter capture DIR`) and report it; pasted or edited copies are often re-spaced or cut.',
      });
    }
    if (ctx.inventory.answersError !== undefined)
      findings.push({
        check: 'parse_issues',
        severity: 'warning',
        message: `the kernel could not be asked to confirm /proc/keys (${escapeByteString(ctx.inventory.answersError)}): its records were read from text alone, which a key description can forge`,
        remediation: 'Allow keyctl(2) to the exporter (a seccomp profile that blocks it, docs/user-guide.md "Asking the kernel: keyctl and seccomp"), or run it where the koffi module can load.',
      });
    return findings;
  },
};
