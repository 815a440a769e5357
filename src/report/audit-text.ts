/**
 * The audit for a terminal: findings grouped by severity, most severe first; colour only when asked (the CLI
 * asks on a TTY). Messages already carry escaped descriptions (checks use escapeByteString).
 */
import type { AuditReport } from '../audit/run-audit.js';
import type { Finding, Severity } from '../audit/finding.js';
import { keyCoverage, type Inventory } from '../classify/inventory.js';
import type { DocumentMeta } from './keys-document.js';
import { confirmationNote, visibilityNote } from './notes.js';
import { plural } from './plural.js';
import { formatTrustStoreText, TRUST_STORE_KEYS_SHOWN } from './trust-store-report.js';
import { formatKerberosLines } from './kerberos-report.js';

const COLOR: Record<Severity, string> = { critical: '\u001b[1;31m', warning: '\u001b[33m', info: '\u001b[36m' };
const RESET = '\u001b[0m';
const ORDER: Severity[] = ['critical', 'warning', 'info'];

function subject(f: Finding): string {
  const parts: string[] = [];
  if (f.uid !== undefined) parts.push(`uid ${f.uid}`);
  if (f.serial !== undefined) parts.push(`key ${f.serial}`);
  if (f.line !== undefined) parts.push(`line ${f.line}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** What the reader could see: its own view, or every uid's (--view all-users) and which reads failed. */
export function describeView(coverage: DocumentMeta['coverage'], inv: Inventory): string {
  const c = keyCoverage(inv);
  const seen = c === null ? '' : `, ${c.seen} of the ${c.owned} keys /proc/key-users counts`;
  if (coverage === undefined) return `view: this process's own${seen} (see the note below)`;
  const failed = coverage.failed.length > 0 ? `; could not read as uid ${coverage.failed.map((f) => f.uid).join(', ')}` : '';
  return `view: all users (/proc/keys read as ${coverage.readers.length} uid${coverage.readers.length > 1 ? 's' : ''}${failed})${seen}`;
}

export function formatAuditText(
  inv: Inventory,
  report: AuditReport,
  opts: { color: boolean; procRoot: string; exitCode: number; failOn: string; coverage?: DocumentMeta['coverage'] },
): string {
  const paint = (s: Severity, text: string): string => (opts.color ? COLOR[s] + text + RESET : text);
  const out: string[] = [];
  const users = inv.users?.length ?? 0;
  out.push(
    `keyring-exporter audit of ${opts.procRoot}: ${plural(inv.summary.keys, 'key')} visible (${inv.summary.suspect} suspect), ${plural(users, 'uid')} in /proc/key-users`,
    describeView(opts.coverage, inv),
    `findings: ${report.counts.critical} critical, ${report.counts.warning} warning, ${report.counts.info} info`,
  );
  for (const severity of ORDER) {
    const list = report.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push('', paint(severity, `${severity.toUpperCase()} (${list.length})`));
    for (const f of list) {
      out.push(`  ${paint(severity, f.check)}${subject(f)}: ${f.message}`, `    fix: ${f.remediation}`);
    }
  }
  if (report.findings.length === 0) out.push('', 'No findings.');
  const off = report.checks.filter((c) => !c.enabled).map((c) => c.id);
  if (off.length > 0) out.push('', `checks switched off: ${off.join(', ')}`);
  if (inv.kerberos.length > 0) out.push('', 'Kerberos caches:', ...formatKerberosLines(inv.kerberos).map((l) => `  ${l}`));
  out.push('', formatTrustStoreText(inv.trustStore, TRUST_STORE_KEYS_SHOWN).trimEnd());
  out.push('', confirmationNote(inv), visibilityNote(opts.coverage), `exit code ${opts.exitCode} (--fail-on ${opts.failOn})`);
  return out.join('\n') + '\n';
}
