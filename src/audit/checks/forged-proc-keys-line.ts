import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { quoted } from './key-groups.js';

/**
 * How to get rid of a carrier key. KEYCTL_REVOKE needs write or setattr (security/keys/keyctl.c
 * keyctl_revoke_key()), and root is only the "other" subject of another user's key: no capability overrides
 * key permissions. Checked on Linux 6.18: root gets EACCES revoking or invalidating a 3f010000 key of uid 40123.
 */
function removal(uid: number, serial: string, othersMayRevoke: boolean): string {
  const asRoot = othersMayRevoke
    ? `its perm lets any user revoke it: \`keyctl revoke 0x${serial}\``
    : `root cannot revoke it (its perm gives others neither write nor setattr): have uid ${uid} run \`keyctl revoke 0x${serial}\` from the session that holds it, or end uid ${uid}'s sessions (\`loginctl terminate-user ${uid}\`), which drops the session keyring holding it`;
  return `Uid ${uid} wrote it: ${asRoot}; then look at what else that user runs.`;
}

const CONTRADICTED = new Set(['exceeds_key_users', 'uid_not_in_key_users', 'key_users_bytes_mismatch']);

export const forgedProcKeysLine: Check = {
  id: 'forged_proc_keys_line',
  severity: 'critical',
  rationale:
    'proc_keys_show() prints descriptions raw, so a user who writes newlines into a key description and grants view ' +
    'can make every reader of /proc/keys, root included, see lines that look like keys that do not exist ' +
    '(security/keys/proc.c; kernel-format.md §1.12).',
  fix:
    'The owner of the carrying key wrote newlines into its description to forge lines. Root has no power over ' +
    "another user's key beyond what its perm grants (KEYCTL_REVOKE needs write or setattr): have the owner revoke it " +
    'from the session that holds it, or end that user\'s sessions (loginctl terminate-user UID), which drops the ' +
    'session keyring holding it; then investigate that user. Records /proc/key-users contradicts: ask the kernel with ' +
    'keyctl describe SERIAL.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const k of ctx.inventory.notable) {
      if ((k.embeddedRecordLines.length === 0 && k.suspect.length === 0) || ctx.config.allow.uids.includes(k.uid)) continue;
      const forged = k.embeddedRecordLines;
      if (forged.length > 0) {
        const lines = `${forged.slice(0, 5).join(', ')}${forged.length > 5 ? ` and ${forged.length - 5} more` : ''}`;
        const confirmed = k.confirmation === 'described' ? ' (the kernel confirms the description)' : '';
        findings.push({
          check: 'forged_proc_keys_line',
          severity: 'critical',
          uid: k.uid,
          serial: k.serial,
          line: k.line,
          message: `key ${k.serial} of uid ${k.uid} has a description spanning ${k.lineCount} lines that forges /proc/keys record${forged.length > 1 ? 's' : ''} at line${forged.length > 1 ? 's' : ''} ${lines}${confirmed}: ${quoted(k, 80)}`,
          remediation: removal(k.uid, k.serial, k.perm.other.write || k.perm.other.setattr),
        });
      }
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
