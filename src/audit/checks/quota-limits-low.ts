import type { InventoryKey } from '../../classify/inventory.js';
import type { Check } from '../check.js';
import type { Finding } from '../finding.js';

/**
 * A keyring a container runtime made: a named session keyring. runc names its per-container one
 * "_ses.<64 hex container id>", crun the bare container id, and any other name joined with
 * KEYCTL_JOIN_SESSION_KEYRING (`keyctl session NAME`, other runtimes) is charged the same way. The anonymous
 * "_ses" of a login (pam_keyinit) or a service (systemd) is not one.
 */
export function isContainerKeyring(k: InventoryKey): boolean {
  return k.class === 'session' && k.description !== '_ses';
}

export const quotaLimitsLow: Check = {
  id: 'quota_limits_low',
  severity: 'warning',
  rationale:
    'Container runtimes create a named session keyring per container, charged to its owner\'s quota, so the default ' +
    'limits (200 keys and 20,000 bytes per user) stop hosts after a few hundred containers; Docker and kubelet raise the ' +
    'root limits to 1,000,000 keys and 25,000,000 bytes (moby daemon/keys.go, kubelet setupKernelTunables).',
  fix:
    'Set the limits container hosts use in /etc/sysctl.d: kernel.keys.root_maxkeys = 1000000, kernel.keys.root_maxbytes = 25000000, and for rootless runtimes kernel.keys.maxkeys = 20000, kernel.keys.maxbytes = 500000; then sysctl --system.',
  run(ctx) {
    const l = ctx.inventory.limits;
    const want = ctx.config.limits;
    const below = (value: number | null, wanted: number): boolean => value !== null && value < wanted;
    // The container keyrings are counted only where a limit is low.
    if (!below(l.root_maxkeys, want.rootMaxkeys) && !below(l.root_maxbytes, want.rootMaxbytes) && !below(l.maxkeys, want.maxkeys) && !below(l.maxbytes, want.maxbytes)) return [];
    const containers = ctx.reportableOfClass('session').filter(isContainerKeyring);
    if (containers.length === 0) return [];
    const findings: Finding[] = [];
    const low = (sysctl: string, value: number | null, wanted: number, who: string, count: number): void => {
      if (!below(value, wanted)) return;
      findings.push({
        check: 'quota_limits_low',
        severity: 'warning',
        message: `${count} container keyring${count > 1 ? 's' : ''} owned by ${who} but kernel.keys.${sysctl} is ${value}, below the ${wanted} container hosts use`,
        // One file per setting, so that applying two of these findings keeps both (and running one twice is harmless).
        remediation: `echo 'kernel.keys.${sysctl} = ${wanted}' > /etc/sysctl.d/90-keys-${sysctl.replace(/_/g, '-')}.conf && sysctl --system`,
      });
    };
    const rootOwned = containers.filter((k) => k.uid === 0).length;
    const userOwned = containers.length - rootOwned;
    if (rootOwned > 0) {
      low('root_maxkeys', l.root_maxkeys, want.rootMaxkeys, 'root', rootOwned);
      low('root_maxbytes', l.root_maxbytes, want.rootMaxbytes, 'root', rootOwned);
    }
    if (userOwned > 0) {
      low('maxkeys', l.maxkeys, want.maxkeys, 'non-root users (rootless or user-namespaced runtimes)', userOwned);
      low('maxbytes', l.maxbytes, want.maxbytes, 'non-root users (rootless or user-namespaced runtimes)', userOwned);
    }
    return findings;
  },
};
