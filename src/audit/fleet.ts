/**
 * The fleet audit: findings for every instance Prometheus scrapes, made from the metrics already there
 * (keyring-exporter's own, see docs/metrics.md). Pure: query results in, findings out; src/cli/ asks Prometheus.
 */
import type { AuditConfig } from './audit-config.js';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from './finding.js';
import { QUOTA_REMEDIATION } from './checks/quota-shared.js';

/** One sample of an instant query: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The queries the fleet audit needs; `job` selects the exporters' scrape job. */
export function fleetQueries(job: string): Record<FleetQuery, string> {
  const sel = `job=${JSON.stringify(job)}`;
  return {
    keys: `keyring_user_quota_keys{${sel}} / keyring_user_quota_keys_limit{${sel}}`,
    bytes: `keyring_user_quota_bytes{${sel}} / keyring_user_quota_bytes_limit{${sel}}`,
    findings: `keyring_audit_findings{${sel}} > 0`,
    up: `up{${sel}}`,
    failing: `keyring_scrape_collector_success{${sel}} == 0`,
  };
}

export type FleetQuery = 'keys' | 'bytes' | 'findings' | 'up' | 'failing';

export interface FleetReport {
  instances: { total: number; down: number };
  findings: Finding[];
  counts: Record<Severity, number>;
}

export function buildFleetReport(results: Record<FleetQuery, Sample[]>, config: AuditConfig): FleetReport {
  const findings: Finding[] = [];
  const quota = (samples: Sample[], check: string, what: string): void => {
    for (const s of samples) {
      const uid = Number(s.labels['uid']);
      if (!Number.isFinite(s.value) || s.value < config.quota.warningRatio || config.allow.uids.includes(uid)) continue;
      const instance = s.labels['instance'] ?? '';
      findings.push({
        check,
        severity: s.value >= config.quota.criticalRatio ? 'critical' : 'warning',
        instance,
        ...(Number.isInteger(uid) ? { uid } : {}),
        message: `uid ${s.labels['uid'] ?? '?'} on ${instance} uses ${Math.round(s.value * 100)}% of its ${what}`,
        remediation: QUOTA_REMEDIATION,
      });
    }
  };
  quota(results.keys, 'quota_keys_near_limit', 'key quota');
  quota(results.bytes, 'quota_bytes_near_limit', 'byte quota');
  for (const s of results.findings) {
    const check = s.labels['check'] ?? 'unknown';
    const severity = (SEVERITIES as readonly string[]).includes(s.labels['severity'] ?? '') ? (s.labels['severity'] as Severity) : 'warning';
    // Quota findings are already reported per uid above, from the ratios.
    if (check === 'quota_keys_near_limit' || check === 'quota_bytes_near_limit' || config.disabled.includes(check)) continue;
    const instance = s.labels['instance'] ?? '';
    findings.push({
      check,
      severity,
      instance,
      message: `${s.value} ${severity} ${check} finding${s.value > 1 ? 's' : ''} on ${instance}`,
      remediation: `Run \`keyring-exporter audit\` on ${instance} for the details; docs/checks.md says how to fix ${check}.`,
    });
  }
  // An instance nobody watches is as bad as the worst finding it could hide: critical, so that --fail-on
  // critical fails a fleet whose exporters are down.
  const down = results.up.filter((s) => s.value === 0);
  for (const s of down) {
    const instance = s.labels['instance'] ?? '';
    findings.push({
      check: 'exporter_down',
      severity: 'critical',
      instance,
      message: `Prometheus cannot scrape keyring-exporter on ${instance}: its keyrings are not watched`,
      remediation: 'Check that the exporter runs there (systemctl status keyring-exporter) and that Prometheus can reach its port.',
    });
  }
  for (const s of results.failing) {
    const instance = s.labels['instance'] ?? '';
    const collector = s.labels['collector'] ?? '?';
    findings.push({
      check: 'exporter_collector_failing',
      severity: 'warning',
      instance,
      message: `the ${collector} collector of keyring-exporter on ${instance} fails: its metrics are missing`,
      remediation: `Look at the exporter's log on ${instance} (journalctl -u keyring-exporter, --log.level debug says why a collector failed).`,
    });
  }
  findings.sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.instance ?? '').localeCompare(b.instance ?? '') || a.check.localeCompare(b.check) || (a.uid ?? -1) - (b.uid ?? -1),
  );
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return { instances: { total: results.up.length, down: down.length }, findings, counts };
}
