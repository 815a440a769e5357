import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { quoted } from './key-groups.js';

const CONTRADICTED = new Set(['exceeds_key_users', 'uid_not_in_key_users', 'key_users_bytes_mismatch']);

export const forgedProcKeysLine: Check = {
  id: 'forged_proc_keys_line',
  severity: 'critical',
  rationale:
    'proc_keys_show() prints descriptions raw, so a user who writes newlines into a key description and grants view ' +
    'can make every reader of /proc/keys, root included, see lines that look like keys that do not exist ' +
    '(security/keys/proc.c; kernel-format.md §1.12).',
  fix:
    'The owner of the carrying key wrote newlines into its description to forge lines: revoke the key (keyctl revoke) and investigate that user. Records /proc/key-users contradicts: check them with keyctl describe as root.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const k of ctx.inventory.keys) {
      if (ctx.config.allow.uids.includes(k.uid)) continue;
      if (k.suspect.some((s) => s.code === 'carries_record_text'))
        findings.push({
          check: 'forged_proc_keys_line',
          severity: 'critical',
          uid: k.uid,
          serial: k.serial,
          line: k.line,
          message: `key ${k.serial} of uid ${k.uid} has a description spanning ${k.lineCount} lines that forges /proc/keys record${k.embeddedRecordLines.length > 1 ? 's' : ''} at line${k.embeddedRecordLines.length > 1 ? 's' : ''} ${k.embeddedRecordLines.join(', ')}: ${quoted(k, 80)}`,
          remediation: `Uid ${k.uid} wrote it: inspect with \`keyctl describe 0x${k.serial}\` and \`keyctl print 0x${k.serial}\`, revoke it (\`keyctl revoke 0x${k.serial}\`), and look at what else that user runs.`,
        });
      const contradicted = k.suspect.filter((s) => CONTRADICTED.has(s.code));
      if (contradicted.length > 0)
        findings.push({
          check: 'forged_proc_keys_line',
          severity: 'warning',
          uid: k.uid,
          serial: k.serial,
          line: k.line,
          message: `the record at line ${k.line} (key ${k.serial}, uid ${k.uid}) cannot be trusted: ${contradicted.map((s) => s.message).join('; ')}`,
          remediation: `Ask the kernel whether key ${k.serial} exists as printed (\`keyctl describe 0x${k.serial}\` as root); if it does not, the line was forged by the description of the key before it.`,
        });
    }
    return findings;
  },
};
