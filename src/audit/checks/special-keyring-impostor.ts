import type { InventoryKey } from '../../classify/inventory.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { asUid, quoted, revokeFix } from './key-groups.js';

/** Why a keyring with a reserved name is not what the kernel creates under it (classify/keyring-class.ts). */
function why(k: InventoryKey): string {
  const reasons: string[] = [];
  switch (k.claimedClass) {
    case 'user':
    case 'user_session':
      if (!k.flags.inQuota) reasons.push('it is not charged to a quota, the kernel\'s is');
      if (k.gid !== 65534 && k.gid !== -1) reasons.push(`its gid is ${k.gid}, the kernel's has none (65534)`);
      break;
    case 'persistent':
      if (k.flags.inQuota) reasons.push('it is charged to a quota, the kernel\'s is not');
      if (k.gid !== 65534 && k.gid !== -1) reasons.push(`its gid is ${k.gid}, the kernel's has none (65534)`);
      break;
    case 'persistent_register':
      reasons.push('it is charged to a quota, the kernel\'s is not');
      break;
    case 'request_key':
      if (k.perm.mask !== 0x3f030000) reasons.push(`its perm is ${k.perm.hex}, request_key.c creates it with 3f030000`);
      else reasons.push(`no key ${k.description.slice('_req.'.length)} of uid ${k.uid} is under construction, and request_key.c makes one only while it builds that key`);
      break;
    default:
      break;
  }
  if (k.nameUid !== null && k.nameUid !== k.uid) reasons.push(`its name says uid ${k.nameUid} but uid ${k.uid} owns it`);
  return reasons.join('; ') || 'it does not match what the kernel creates';
}

export const specialKeyringImpostor: Check = {
  id: 'special_keyring_impostor',
  severity: 'critical',
  rationale:
    'The kernel creates _uid.N, _uid_ses.N, _persistent.N, .persistent_register and _req.N itself, once per owner ' +
    '(process_keys.c, persistent.c, request_key.c); a user-made keyring under such a name, or a second one, can mislead ' +
    'tools and people into trusting keys placed in it.',
  fix:
    'See what the keyring is as its owner (keyctl describe, run as that uid), revoke it as the finding says (as the owner, or from the session that holds it), and check what was put in it.',
  run(ctx) {
    const findings: Finding[] = [];
    const report = (k: InventoryKey, message: string, remediation: string): void => {
      findings.push({ check: 'special_keyring_impostor', severity: 'critical', uid: k.uid, serial: k.serial, line: k.line, message, remediation });
    };
    const candidates = ctx.inventory.notable.filter((k) => (k.impostor || (k.suspect.length > 0 && k.suspect.some((s) => s.code === 'duplicate_singleton'))) && !ctx.allowed(k));
    for (const k of candidates) {
      if (k.impostor)
        report(
          k,
          `keyring ${quoted(k)} of uid ${k.uid} uses a name reserved for a ${k.claimedClass.replace('_', ' ')} keyring, but ${why(k)}`,
          `See what it is as its owner (\`${asUid(k.uid, `keyctl describe 0x${k.serial}`)}\`; root may not view another user's keyring) ` +
            `and revoke it: ${revokeFix(k.uid, k.serial, k.perm.mask)}. Then look at what was put in it and who runs as uid ${k.uid}.`,
        );
      const dup = k.suspect.find((s) => s.code === 'duplicate_singleton');
      if (dup !== undefined)
        report(
          k,
          `keyring ${quoted(k)} of uid ${k.uid} is one of several: ${dup.message}`,
          `Compare them with \`keyctl describe 0x${k.serial}\`; a user namespace has its own (e.g. rootless containers with keep-id), anything else is forged or planted.`,
        );
    }
    return findings;
  },
};
