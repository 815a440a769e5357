/**
 * `keyring-exporter metrics`: the exposition once, on stdout or written atomically (a temporary file in the
 * same folder, then rename) for node_exporter's textfile collector, for hosts that won't run another daemon.
 */
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { formatFamilies } from '../collector/gauge-family.js';
import { buildInventory } from '../classify/inventory.js';
import { createGauges, updateGauges } from '../collector/collectors.js';
import type { CollectorName } from '../collector/metric-families.js';
import { escapeByteString } from '../parser/byte-string.js';
import { loadAuditConfig } from './load-audit-config.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { snapshotFor } from './snapshot-for.js';
import type { ScrapeView } from './views.js';
import { buildInfo, packageVersion } from './version.js';

export interface MetricsOptions {
  procfs: string;
  /** Whose keys: this process's view, every uid's (root only), or `auto`: every uid's where the process may. */
  view: ScrapeView;
  output?: string;
  enabled: Set<CollectorName>;
  maxUids: number;
  configFile?: string;
}

export async function renderMetrics(opts: MetricsOptions, io: CliIo): Promise<{ text: string; errors: Map<CollectorName, string> } | null> {
  const auditConfig = await loadAuditConfig(opts.configFile, io);
  if (auditConfig === null) return null;
  const read = await snapshotFor(opts.procfs, opts.view, io, { maxUids: opts.maxUids });
  if (read === null) return null;
  const gauges = createGauges();
  const errors = updateGauges(gauges, buildInventory(read.snapshot), {
    enabled: opts.enabled,
    maxUids: opts.maxUids,
    auditConfig,
    version: packageVersion(),
    revision: buildInfo().revision,
    nodejsVersion: process.version,
    clock: () => performance.now() / 1000,
    configReload: { successful: true, lastSuccess: Math.floor(io.clock()) },
  });
  return { text: formatFamilies(Object.values(gauges), false), errors };
}

export async function runMetricsCommand(opts: MetricsOptions, io: CliIo): Promise<number> {
  const r = await renderMetrics(opts, io);
  if (r === null) return EXIT.usage;
  for (const [collector, error] of r.errors) io.stderr(`keyring-exporter: collector ${collector} failed: ${escapeByteString(error)}\n`);
  if (opts.output === undefined) {
    io.stdout(r.text);
    return EXIT.ok;
  }
  // The textfile collector must never read a half-written file: write beside it, then rename over it.
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, r.text, { mode: 0o644 });
    // Readable by node_exporter whatever the umask (a systemd unit's UMask=0077 would make it 0600): the file
    // holds counts by uid, never a key description.
    await chmod(tmp, 0o644);
    await rename(tmp, opts.output);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    io.stderr(`keyring-exporter: --output ${opts.output}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  return EXIT.ok;
}
