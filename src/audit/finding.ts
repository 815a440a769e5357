/**
 * A check produces findings (architecture.md, "Words"). Findings are values: the same list feeds the audit
 * report and the exporter's keyring_audit_findings metric.
 */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface Finding {
  /** The check's id (snake_case of its file name). */
  check: string;
  severity: Severity;
  /** One sentence about this instance; attacker-written text in it is already escaped (escapeByteString). */
  message: string;
  /** What a person can do about it. */
  remediation: string;
  /** The uid the finding concerns, when one. */
  uid?: number;
  /** The key the finding concerns, when one (8 hex digits, as printed). */
  serial?: string;
  /** The physical line of /proc/keys the finding concerns, when one. */
  line?: number;
  /** The host (Prometheus instance label) the finding concerns, in a fleet audit. */
  instance?: string;
}
