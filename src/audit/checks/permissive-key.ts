import type { InventoryKey } from '../../classify/inventory.js';
import type { PermissionSet } from '../../parser/key-permissions.js';
import type { Check } from '../check.js';
import type { Finding, Severity } from '../finding.js';
import { quoted } from './key-groups.js';
import { GROUP_OR_OTHER_RIGHTS } from '../../classify/record-pass.js';

/** The perms the kernel gives the keyrings it creates per user (process_keys.c, persistent.c). */
const KERNEL_DEFAULT_PERM: Partial<Record<InventoryKey['class'], number>> = {
  user: 0x1f3f0000,
  user_session: 0x1f3f0000,
  persistent: 0x1f030000,
};

const RIGHTS = ['read', 'write', 'link', 'setattr'] as const;

/**
 * Key types with no read operation: KEYCTL_READ fails with EOPNOTSUPP whatever the permission, so a read bit
 * gives nothing away (user_defined.c key_type_logon, asymmetric_type.c, fs/crypto/keyring.c
 * key_type_fscrypt_provisioning). Still worth a warning: the mask says more than its owner meant.
 */
const NO_READ_TYPES = new Set(['logon', 'asymmetric', 'fscrypt-provisioning']);

function extra(p: PermissionSet): string[] {
  return RIGHTS.filter((r) => p[r]);
}

const SKIPPED_CLASSES: ReadonlySet<InventoryKey['class']> = new Set(['kernel', 'persistent_register']);

/** systemd gives each service's invocation_id user key perm 0b0b0000 on purpose: the id is not a secret. */
function systemdInvocationId(k: InventoryKey): boolean {
  return k.type.name === 'user' && k.description === 'invocation_id' && k.uid === 0 && k.perm.mask === 0x0b0b0000;
}

export const permissiveKey: Check = {
  id: 'permissive_key',
  severity: 'critical',
  rationale:
    'Permissions are checked per subject (keyrings(7)): a group or other byte with read lets those users read a key\'s ' +
    'secret payload, and write, link or setattr on a keyring lets them plant, replace or re-own keys in it.',
  fix:
    'Restrict the key to its possessor and owner with keyctl setperm (e.g. 0x3f010000), then find the program that set the permission.',
  run(ctx) {
    const findings: Finding[] = [];
    const candidates = ctx.inventory.notable.filter((k) => (k.perm.mask & GROUP_OR_OTHER_RIGHTS) !== 0 && !SKIPPED_CLASSES.has(k.class) && k.suspect.length === 0 && !ctx.allowed(k));
    for (const k of candidates) {
      if (KERNEL_DEFAULT_PERM[k.class] === k.perm.mask) continue;
      if (systemdInvocationId(k)) continue;
      const group = extra(k.perm.group);
      const other = extra(k.perm.other);
      if (group.length === 0 && other.length === 0) continue;
      const keyring = k.type.name === 'keyring';
      const unreadable = !keyring && NO_READ_TYPES.has(k.type.name);
      const dangerous = (rights: string[]): boolean =>
        keyring ? rights.some((r) => r === 'write' || r === 'link' || r === 'setattr') : rights.includes('read') && !unreadable;
      const severity: Severity = dangerous(group) || dangerous(other) ? 'critical' : 'warning';
      const who = [
        group.length > 0 ? `group ${k.gid} may ${group.join(', ')}` : '',
        other.length > 0 ? `every user may ${other.join(', ')}` : '',
      ].filter((x) => x !== '');
      const what = keyring ? 'keyring' : `${k.type.name} key`;
      findings.push({
        check: 'permissive_key',
        severity,
        uid: k.uid,
        serial: k.serial,
        line: k.line,
        message:
          `${what} ${quoted(k)} of uid ${k.uid} (perm ${k.perm.hex}): ${who.join('; ')}` +
          (unreadable && (group.includes('read') || other.includes('read')) ? ` (a ${k.type.name} key cannot be read from userspace, so read gives nothing away)` : ''),
        remediation:
          `Restrict it to its possessor and owner: \`keyctl setperm 0x${k.serial} 0x${(k.perm.mask & 0xffff0000).toString(16).padStart(8, '0')}\`, ` +
          `run where the key is possessed (in the session that holds it, or as uid ${k.uid} if it is linked in that user's keyring @u): ` +
          `setattr is needed and root has no exception from the permission mask; then find what set it (\`keyctl describe 0x${k.serial}\`).`,
      });
    }
    return findings;
  },
};
