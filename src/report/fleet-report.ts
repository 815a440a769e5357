/** The fleet audit for people (text, Markdown) and machines (JSON); findings name their instance. */
import type { FleetReport } from '../audit/fleet.js';
import type { Finding, Severity } from '../audit/finding.js';
import { escapeMarkdown, escapeMarkdownKeepingCode } from './audit-markdown.js';
import { plural } from './plural.js';

const ORDER: Severity[] = ['critical', 'warning', 'info'];

function where(f: Finding): string {
  return [f.instance !== undefined ? f.instance : '', f.uid !== undefined ? `uid ${f.uid}` : ''].filter((x) => x !== '').join(', ');
}

export function formatFleetText(r: FleetReport, o: { url: string; exitCode: number; failOn: string }): string {
  const out = [
    `keyring-exporter fleet audit from ${o.url}: ${plural(r.instances.total, 'instance')}, ${r.instances.down} down`,
    `findings: ${r.counts.critical} critical, ${r.counts.warning} warning, ${r.counts.info} info`,
  ];
  for (const s of ORDER) {
    const list = r.findings.filter((f) => f.severity === s);
    if (list.length === 0) continue;
    out.push('', `${s.toUpperCase()} (${list.length})`);
    for (const f of list) out.push(`  ${f.check} (${where(f)}): ${f.message}`, `    fix: ${f.remediation}`);
  }
  if (r.findings.length === 0) out.push('', 'No findings.');
  out.push('', `exit code ${o.exitCode} (--fail-on ${o.failOn})`);
  return out.join('\n') + '\n';
}

export function formatFleetMarkdown(r: FleetReport, o: { url: string; exitCode: number; failOn: string }): string {
  const out = [
    '# keyring-exporter fleet audit',
    '',
    '| | |',
    '|---|---|',
    `| Prometheus | ${escapeMarkdown(o.url)} |`,
    `| instances | ${r.instances.total} (${r.instances.down} down) |`,
    `| findings | ${r.counts.critical} critical, ${r.counts.warning} warning, ${r.counts.info} info |`,
    `| exit code | ${o.exitCode} (fail on ${escapeMarkdown(o.failOn)}) |`,
  ];
  for (const s of ORDER) {
    const list = r.findings.filter((f) => f.severity === s);
    if (list.length === 0) continue;
    out.push('', `## ${s[0]?.toUpperCase()}${s.slice(1)} (${list.length})`, '');
    for (const f of list) out.push(`- \`${f.check}\` (${escapeMarkdown(where(f))}): ${escapeMarkdown(f.message)}`, `  - Fix: ${escapeMarkdownKeepingCode(f.remediation)}`);
  }
  if (r.findings.length === 0) out.push('', 'No findings.');
  return out.join('\n') + '\n';
}

export function formatFleetJson(r: FleetReport, o: { url: string; exitCode: number; failOn: string; generator: string }): string {
  return JSON.stringify({ generator: o.generator, prometheus: o.url, failOn: o.failOn, exitCode: o.exitCode, ...r }, null, 2) + '\n';
}
