import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { countByUid } from '../../classify/inventory.js';
import { byUid, examples } from './key-groups.js';

export const stuckConstruction: Check = {
  id: 'stuck_construction',
  severity: 'info',
  rationale:
    'A key under construction waits for /sbin/request-key or a type\'s own upcall to instantiate or negate it; one that ' +
    'stays so means the handler is stuck, and callers of request_key block on it (security/keys/request_key.c).',
  fix:
    'Look for a hung request-key handler (ps -ef | grep request-key) and the rules that start it in /etc/request-key.conf and /etc/request-key.d.',
  run(ctx) {
    const findings: Finding[] = [];
    const building = ctx.reportableInState('under_construction');
    for (const [uid, list] of byUid(building))
      findings.push({
        check: 'stuck_construction',
        severity: 'info',
        uid,
        message: `uid ${uid} has ${list.length} key${list.length > 1 ? 's' : ''} under construction: ${examples(list)}`,
        remediation: 'Normal for the time an upcall takes; if it stays, look for a hung request-key handler (`ps -ef | grep request-key`) and the rules in /etc/request-key.conf and /etc/request-key.d.',
      });
    // /proc/key-users counts every key of a uid: nkeys - nikeys are not instantiated yet, i.e. under construction.
    // Those this reader lists without flag I (suspect, allow-listed or not) are not hidden from it.
    const users = (ctx.inventory.users ?? []).filter((u) => u.nkeys > u.nikeys);
    const listed = users.length === 0 ? new Map<number, number>() : countByUid(ctx.inventory.keys.filter((k) => !k.flags.instantiated));
    for (const u of users) {
      if (ctx.config.allow.uids.includes(u.uid) || ctx.inventory.unstableUids.includes(u.uid)) continue;
      const hidden = u.nkeys - u.nikeys - (listed.get(u.uid) ?? 0);
      if (hidden <= 0) continue;
      findings.push({
        check: 'stuck_construction',
        severity: 'info',
        uid: u.uid,
        message: `/proc/key-users counts ${hidden} key${hidden > 1 ? 's' : ''} of uid ${u.uid} under construction that this reader cannot see`,
        remediation: 'Run the audit again with --view all-users (as root) to see them; look for a hung request-key handler (`ps -ef | grep request-key`).',
      });
    }
    return findings;
  },
};
