import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { asUid, byUid } from './key-groups.js';

export const sessionKeyringLeak: Check = {
  id: 'session_keyring_leak',
  severity: 'warning',
  rationale:
    'A session keyring is destroyed when the last process that refers to it exits (session-keyring(7)); many live ones ' +
    'for one uid mean processes that never exit or a runtime that leaks keyrings (crun issue 1148), and they count ' +
    'against the uid\'s key quota until add_key fails with EDQUOT.',
  fix:
    'Find the processes holding the keyrings (keyctl list of one, run as its owner) and why they do not exit; update a container runtime that leaks them, or disable per-container keyrings (keyring = false, runc --no-new-keyring).',
  run(ctx) {
    const findings: Finding[] = [];
    const maxkeysOf = new Map((ctx.inventory.users ?? []).map((u) => [u.uid, u.maxkeys]));
    for (const [uid, list] of byUid(ctx.reportableOfClass('session'))) {
      if (ctx.config.allow.uids.includes(uid)) continue;
      const maxkeys = maxkeysOf.get(uid);
      const share = maxkeys !== undefined && maxkeys > 0 ? list.length / maxkeys : 0;
      if (share <= ctx.config.sessions.quotaShare && list.length <= ctx.config.sessions.maxCount) continue;
      findings.push({
        check: 'session_keyring_leak',
        severity: 'warning',
        uid,
        message:
          `uid ${uid} has ${list.length} live session keyrings` +
          (maxkeys !== undefined ? ` (${Math.round(share * 100)}% of its ${maxkeys}-key quota)` : '') +
          ' among the keys this reader can see',
        remediation:
          // Only the owner may read its session keyrings (perm 0x3f030000 or 0x3f130000: no "other" bits), and keyctl
          // show is refused even to it: keyctl list, run as the uid, shows what one holds.
          `Find what keeps them alive (as uid ${uid}, \`${asUid(uid, `keyctl list 0x${(list[0] as (typeof list)[number]).serial}`)}\` ` +
          'lists what one of them holds): processes of ' +
          `uid ${uid} that never exit (\`ps -o pid,etime,args -u ${uid}\`), a container runtime that leaks per-container ` +
          'keyrings (crun issue 1148: update crun/runc, or keyring = false in containers.conf, runc --no-new-keyring), ' +
          'or PAM sessions opened without pam_keyinit\'s revoke option; end them, or raise the quota meanwhile.',
      });
    }
    return findings;
  },
};
