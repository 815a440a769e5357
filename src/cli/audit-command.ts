/** `keyring-exporter audit`: the one-shot audit for people (text, Markdown) and machines (JSON, exit codes). */
import { SEVERITY_RANK, type Severity } from '../audit/finding.js';
import { runAudit } from '../audit/run-audit.js';
import { buildInventory } from '../classify/inventory.js';
import { loadAuditConfig } from './load-audit-config.js';
import { snapshotFor } from './snapshot-for.js';
import type { View } from './views.js';
import { auditJsonChunks } from '../report/audit-document.js';
import { formatAuditMarkdown } from '../report/audit-markdown.js';
import { formatAuditText } from '../report/audit-text.js';
import { EXIT } from './exit-codes.js';
import type { FailOn } from './fail-on.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';


export interface AuditOptions {
  procfs: string;
  format: 'text' | 'json' | 'markdown';
  failOn: FailOn;
  configFile?: string;
  view: View;
}

export function exitCodeFor(counts: Record<Severity, number>, failOn: FailOn): number {
  if (failOn === 'never') return EXIT.ok;
  const threshold = SEVERITY_RANK[failOn];
  const failing = (Object.keys(counts) as Severity[]).some((s) => SEVERITY_RANK[s] >= threshold && counts[s] > 0);
  return failing ? EXIT.findings : EXIT.ok;
}

export async function runAuditCommand(opts: AuditOptions, io: CliIo): Promise<number> {
  const config = await loadAuditConfig(opts.configFile, io);
  if (config === null) return EXIT.usage;
  const read = await snapshotFor(opts.procfs, opts.view, io);
  if (read === null) return EXIT.usage;
  const inventory = buildInventory(read.snapshot);
  const { keys, keyUsers } = inventory.files;
  if (keys.status !== 'ok' && keyUsers.status !== 'ok') {
    for (const f of [keys, keyUsers]) io.stderr(`keyring-exporter: ${f.path}: ${f.status}${f.error !== undefined ? ` (${f.error})` : ''}\n`);
    io.stderr('keyring-exporter: neither /proc/keys nor /proc/key-users could be read: nothing to audit\n');
    return EXIT.unreadable;
  }
  const report = runAudit(inventory, config);
  const exitCode = exitCodeFor(report.counts, opts.failOn);
  const meta = {
    procRoot: opts.procfs,
    version: packageVersion(),
    failOn: opts.failOn,
    exitCode,
    ...(io.reader !== undefined ? { reader: io.reader } : {}),
    ...(read.coverage !== undefined ? { coverage: read.coverage } : {}),
  };
  if (opts.format === 'json') for (const chunk of auditJsonChunks(inventory, report, meta)) io.stdout(chunk);
  else if (opts.format === 'markdown') io.stdout(formatAuditMarkdown(inventory, report, meta));
  else io.stdout(formatAuditText(inventory, report, { ...meta, color: io.stdoutIsTty }));
  return exitCode;
}
