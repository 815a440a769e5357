/**
 * Runs the checks, in the order of the explicit list below, over one inventory. Pure.
 * A check that throws is a bug: its error becomes a warning finding and the other checks still run.
 */
import { decodeUtf8 } from '../parser/byte-string.js';
import type { AuditConfig } from './audit-config.js';
import type { AuditContext, Check } from './check.js';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from './finding.js';
import { globToRegExp } from './glob.js';
import { inventoryKey, type Inventory } from '../classify/inventory.js';
import { KEY_CLASSES } from '../classify/keyring-class.js';
import { KEY_STATES } from '../classify/key-state.js';
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
  negativeKeys,
  stuckConstruction,
  deadKeysLingering,
  visibilityGap,
  parseIssues,
];

export interface AuditReport {
  now: number;
  checks: { id: string; severity: Severity; rationale: string; enabled: boolean }[];
  /** Most severe first, then by check order, uid and line. */
  findings: Finding[];
  counts: Record<Severity, number>;
}

/**
 * The rows of `rows` whose value in `column` is `value`, file order kept: one indexed pass, made for each value
 * a check asks for. At 100,000 keys, splitting every row into buckets for every class and state cost 4 ms of
 * the audit, and a `for...of` over the rows costs ten times an indexed loop (1.1 ms against 0.12 ms a pass,
 * measured); the checks ask for a few rare classes and states only.
 */
function rowsWith(rows: ArrayLike<number>, column: Uint8Array, value: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k] as number;
    if (column[i] === value) out.push(i);
  }
  return out;
}

/** The one class and the one state RowIndex does not list (their lists stay empty): asked for, they are looked up. */
const UNLISTED_CLASS = KEY_CLASSES.indexOf('key');
const UNLISTED_STATE = KEY_STATES.indexOf('instantiated');

export function runAudit(inventory: Inventory, config: AuditConfig, checks: readonly Check[] = CHECKS): AuditReport {
  const allowTypes = new Set(config.allow.types);
  const allowUids = new Set(config.allow.uids);
  const allowDescriptions = config.allow.descriptions.map(globToRegExp);
  const matchesDescription = (description: string): boolean => {
    if (allowDescriptions.length === 0) return false;
    const text = decodeUtf8(description) ?? description;
    return allowDescriptions.some((re) => re.test(text));
  };
  const v = inventory.byRow;
  const { table } = v;
  const allowedRow = (i: number): boolean =>
    allowUids.has(table.uidAt(i)) || allowTypes.has(table.typeAt(i).name) || (allowDescriptions.length > 0 && matchesDescription(table.description(i)));
  const anyAllowed = allowUids.size > 0 || allowTypes.size > 0 || allowDescriptions.length > 0;
  // Made up front, not behind a getter: every audit asks for it (the checks about classes and states start from
  // it), and an accessor in the literal below would give each audit's context a hidden class of its own (its
  // getter is a new closure each time), which the checks' optimised code would then be deoptimised for.
  let reportable: ArrayLike<number> = v.rows;
  if (v.suspect.size > 0 || anyAllowed) {
    const out: number[] = [];
    for (let k = 0; k < v.rows.length; k++) {
      const i = v.rows[k] as number;
      if (!v.suspect.has(i) && !allowedRow(i)) out.push(i);
    }
    reportable = out;
  }
  const ofClass = new Map<number, number[]>();
  const inState = new Map<number, number[]>();
  const isReportable = (i: number): boolean => !v.suspect.has(i) && !allowedRow(i);
  const among = (list: readonly number[]): number[] => (reportable === v.rows ? list.slice() : list.filter(isReportable));
  const cached = (cache: Map<number, number[]>, column: Uint8Array, value: number, indexed: readonly number[][] | undefined, unlisted: number): number[] => {
    let rows = cache.get(value);
    if (rows === undefined) {
      // The rows picked out as they were classified, when the classifier listed that value (RowIndex).
      const list = value === unlisted ? undefined : indexed?.[value];
      rows = list !== undefined ? among(list) : rowsWith(reportable, column, value);
      cache.set(value, rows);
    }
    return rows;
  };
  const ctx: AuditContext = {
    inventory,
    config,
    now: inventory.now,
    allowedRow,
    reportable,
    isReportable,
    reportableAmong: (list) => (list === undefined ? null : among(list)),
    reportableOfClass: (cls) => cached(ofClass, v.classes, KEY_CLASSES.indexOf(cls), v.index?.byClass, UNLISTED_CLASS),
    reportableInState: (state) => cached(inState, v.states, KEY_STATES.indexOf(state), v.index?.byState, UNLISTED_STATE),
    key: (i) => inventoryKey(v, i),
  };
  const disabled = new Set(config.disabled);
  const findings: Finding[] = [];
  checks.forEach((check) => {
    if (disabled.has(check.id)) return;
    try {
      findings.push(...check.run(ctx));
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
