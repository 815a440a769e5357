/**
 * Shared by quota_keys_near_limit and quota_bytes_near_limit: a uid's use of the quota /proc/key-users shows
 * (qnkeys/maxkeys, qnbytes/maxbytes; the limit that applies to that uid is printed beside its use).
 */
import type { InventoryKey } from '../../classify/inventory.js';
import type { KeyUserRecord } from '../../parser/proc-key-users.js';
import type { AuditContext } from '../check.js';
import type { Finding } from '../finding.js';
import { byUid, whatTheyAre } from './key-groups.js';

export const QUOTA_REMEDIATION =
  'Raise the limit with a file in /etc/sysctl.d (container hosts commonly set kernel.keys.maxkeys=20000 and ' +
  'kernel.keys.maxbytes=500000 for rootless runtimes, kernel.keys.root_maxkeys=1000000 and ' +
  'kernel.keys.root_maxbytes=25000000 for root), or stop creating keyrings per container: runc --no-new-keyring, ' +
  'keyring = false in containers.conf; move Kerberos caches from KEYRING: to KCM:.';

export function quotaFindings(
  ctx: AuditContext,
  check: string,
  used: (u: KeyUserRecord) => number,
  limit: (u: KeyUserRecord) => number,
  what: string,
): Finding[] {
  const users = ctx.inventory.users ?? [];
  const findings: Finding[] = [];
  const { warningRatio, criticalRatio } = ctx.config.quota;
  let listed: Map<number, InventoryKey[]> | null = null;
  for (const u of users) {
    if (ctx.config.allow.uids.includes(u.uid)) continue;
    const max = limit(u);
    if (max <= 0) continue;
    const ratio = used(u) / max;
    if (ratio < warningRatio) continue;
    const severity = ratio >= criticalRatio ? 'critical' : 'warning';
    // What fills it, as far as this reader sees the uid's keys: the fix then names the culprit.
    listed ??= byUid(ctx.inventory.trusted);
    const mine = listed.get(u.uid) ?? [];
    const filled = mine.length > 0 ? `; /proc/keys shows ${whatTheyAre(mine)}` : '; /proc/keys shows none of its keys to this reader (--view all-users reads them as the uid)';
    findings.push({
      check,
      severity,
      uid: u.uid,
      message: `uid ${u.uid} uses ${used(u)} of its ${max} ${what} (${Math.round(ratio * 100)}%); at the limit, add_key and keyctl fail with EDQUOT ("Disk quota exceeded")${filled}`,
      remediation: QUOTA_REMEDIATION,
    });
  }
  return findings;
}
