/**
 * Runs the checks, in the order of the explicit list below, over one inventory. Pure.
 * A check that throws is a bug: its error becomes a warning finding and the other checks still run.
 */
import { decodeUtf8 } from '../parser/byte-string.js';
import type { AuditConfig } from './audit-config.js';
import type { AuditContext, Check } from './check.js';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from './finding.js';
import { globToRegExp } from './glob.js';
import type { Inventory, InventoryKey } from '../classify/inventory.js';
import type { ListedClass, ListedState } from '../classify/record-pass.js';
import { deadKeysLingering } from './checks/dead-keys-lingering.js';
import { forgedProcKeysLine } from './checks/forged-proc-keys-line.js';
import { negativeKeys } from './checks/negative-keys.js';
import { parseIssues } from './checks/parse-issues.js';
import { permissiveKey } from './checks/permissive-key.js';
import { persistentKeyringExpiring } from './checks/persistent-keyring-expiring.js';
import { quotaBytesNearLimit } from './checks/quota-bytes-near-limit.js';
import { quotaKeysNearLimit } from './checks/quota-keys-near-limit.js';
import { quotaLimitsLow } from './checks/quota-limits-low.js';
import { sessionKeyringLeak } from './checks/session-keyring-leak.js';
import { specialKeyringImpostor } from './checks/special-keyring-impostor.js';
import { stuckConstruction } from './checks/stuck-construction.js';
import { visibilityGap } from './checks/visibility-gap.js';
import { trustStoreDrift } from './checks/trust-store-drift.js';
import { distrustedCertificate } from './checks/distrusted-certificate.js';
import { upcallFailedEntries } from './checks/upcall-failed-entries.js';
import { cachedDiskSecret } from './checks/cached-disk-secret.js';
import { keysLeftWithoutProcess } from './checks/keys-left-without-process.js';
import { kerberosTgtExpiring } from './checks/kerberos-tgt-expiring.js';
import { kerberosCachesPilingUp } from './checks/kerberos-caches-piling-up.js';
import { kerberosQuotaShare } from './checks/kerberos-quota-share.js';
import { kerberosExpiredTickets } from './checks/kerberos-expired-tickets.js';
import { upcallEntryNeverExpires } from './checks/upcall-entry-never-expires.js';
import { upcallKeyNotKernelOwned } from './checks/upcall-key-not-kernel-owned.js';

/** Every check, in report order. */
export const CHECKS: readonly Check[] = [
  quotaKeysNearLimit,
  quotaBytesNearLimit,
  quotaLimitsLow,
  sessionKeyringLeak,
  permissiveKey,
  specialKeyringImpostor,
  forgedProcKeysLine,
  persistentKeyringExpiring,
  kerberosTgtExpiring,
  kerberosCachesPilingUp,
  kerberosQuotaShare,
  kerberosExpiredTickets,
  negativeKeys,
  stuckConstruction,
  deadKeysLingering,
  cachedDiskSecret,
  keysLeftWithoutProcess,
  visibilityGap,
  upcallFailedEntries,
  upcallEntryNeverExpires,
  upcallKeyNotKernelOwned,
  trustStoreDrift,
  distrustedCertificate,
  parseIssues,
];

export interface AuditReport {
  now: number;
  checks: { id: string; severity: Severity; rationale: string; enabled: boolean }[];
  /** Most severe first, then by check order, uid and line. */
  findings: Finding[];
  counts: Record<Severity, number>;
}

export function runAudit(inventory: Inventory, config: AuditConfig, checks: readonly Check[] = CHECKS): AuditReport {
  const allowTypes = new Set(config.allow.types);
  const allowUids = new Set(config.allow.uids);
  const allowDescriptions = config.allow.descriptions.map(globToRegExp);
  const matchesDescription = (description: string): boolean => {
    if (allowDescriptions.length === 0) return false;
    const text = decodeUtf8(description) ?? description;
    return allowDescriptions.some((re) => re.test(text));
  };
  const anyAllowed = allowUids.size > 0 || allowTypes.size > 0 || allowDescriptions.length > 0;
  const allowed = (k: InventoryKey): boolean => anyAllowed && (allowUids.has(k.uid) || allowTypes.has(k.type.name) || matchesDescription(k.description));
  const notAllowed = (keys: InventoryKey[]): InventoryKey[] => (anyAllowed ? keys.filter((k) => !allowed(k)) : keys);
  const groups = inventory.trustedGroups;
  let reportable: InventoryKey[] | null = null;
  const ofClass = new Map<ListedClass, InventoryKey[]>();
  const inState = new Map<ListedState, InventoryKey[]>();
  const ctx: AuditContext = {
    inventory,
    config,
    now: inventory.now,
    allowed,
    get reportable(): readonly InventoryKey[] {
      return (reportable ??= notAllowed(inventory.trusted));
    },
    reportableOfClass: (cls) => {
      let list = ofClass.get(cls);
      if (list === undefined) ofClass.set(cls, (list = notAllowed(groups.byClass[cls])));
      return list;
    },
    reportableInState: (state) => {
      let list = inState.get(state);
      if (list === undefined) inState.set(state, (list = notAllowed(groups.byState[state])));
      return list;
    },
  };
  const disabled = new Set(config.disabled);
  const findings: Finding[] = [];
  checks.forEach((check) => {
    if (disabled.has(check.id)) return;
    try {
      for (const f of check.run(ctx)) findings.push(f);
    } catch (err) {
      findings.push({
        check: check.id,
        severity: 'warning',
        message: `the check failed and reported nothing: ${err instanceof Error ? err.message : String(err)}`,
        remediation: 'This is a bug in keyring-exporter; please report it with the output of `keyring-exporter capture`.',
      });
    }
  });
  const order = new Map(checks.map((c, i) => [c.id, i]));
  findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      (order.get(a.check) ?? 0) - (order.get(b.check) ?? 0) ||
      (a.uid ?? -1) - (b.uid ?? -1) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return {
    now: inventory.now,
    checks: checks.map((c) => ({ id: c.id, severity: c.severity, rationale: c.rationale, enabled: !disabled.has(c.id) })),
    findings,
    counts,
  };
}
