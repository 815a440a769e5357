import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { ownedKeys } from '../../classify/inventory.js';


export const visibilityGap: Check = {
  id: 'visibility_gap',
  severity: 'info',
  rationale:
    '/proc/keys lists only the keys the reader may view, and root has no exception, while /proc/key-users counts every ' +
    'key of every uid: the difference is what this audit could not look at (security/keys/proc.c, keyrings(7)).',
  fix:
    'Run the audit as root with --view all-users, or as the user, to see the keys this reader cannot view.',
  run(ctx) {
    const listed = ctx.inventory.visibleByUid;
    // Read as every uid already: what is still missing, only a possessor may view.
    const allUsers = ctx.inventory.coverage?.view === 'all-users';
    const findings: Finding[] = [];
    for (const u of ctx.inventory.users ?? []) {
      if (ctx.config.allow.uids.includes(u.uid) || ctx.inventory.unstableUids.includes(u.uid)) continue;
      const owned = ownedKeys(u);
      const seen = listed.get(u.uid) ?? 0;
      if (seen >= owned) continue;
      findings.push({
        check: 'visibility_gap',
        severity: 'info',
        uid: u.uid,
        message: `uid ${u.uid} owns ${owned} key${owned > 1 ? 's' : ''}, this reader sees ${seen}`,
        remediation: allUsers
          ? `The keys of uid ${u.uid} that are still unseen give view to their possessor only (perm 0x3f000000 and the like): no other reader, root and uid ${u.uid} included, may view them. ` +
            `To see them, run \`keyctl show @s\` (or \`keyring-exporter keys\`) inside uid ${u.uid}'s sessions, which possess them.`
          : 'Run the audit as root with --view all-users to read /proc/keys as every uid, or as that user.',
      });
    }
    return findings;
  },
};
