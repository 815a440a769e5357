/** `keyring-exporter audit --prometheus.url URL`: the audit of every instance Prometheus scrapes. */
import { buildFleetReport, fleetQueries, type Sample } from '../audit/fleet.js';
import { formatFleetJson, formatFleetMarkdown, formatFleetText } from '../report/fleet-report.js';
import { escapeByteString } from '../parser/byte-string.js';
import { exitCodeFor, loadAuditConfig, type FailOn } from './audit-command.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

async function instantQuery(base: string, query: string): Promise<Sample[]> {
  const res = await fetch(`${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`${query}: ${body.error ?? `HTTP ${res.status}`}`);
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

export async function runFleetAudit(
  o: { url: string; job: string; format: 'text' | 'json' | 'markdown'; failOn: FailOn; configFile?: string },
  io: CliIo,
): Promise<number> {
  const config = await loadAuditConfig(o.configFile, io);
  if (config === null) return EXIT.usage;
  const queries = fleetQueries(o.job);
  let results: Record<keyof typeof queries, Sample[]>;
  try {
    const entries = await Promise.all((Object.keys(queries) as (keyof typeof queries)[]).map(async (k) => [k, await instantQuery(o.url, queries[k])] as const));
    results = Object.fromEntries(entries) as Record<keyof typeof queries, Sample[]>;
  } catch (err) {
    io.stderr(`keyring-exporter: --prometheus.url ${o.url}: ${escapeByteString((err as Error).message)}\n`);
    return EXIT.unreadable;
  }
  if (results.up.length === 0) {
    io.stderr(`keyring-exporter: Prometheus at ${o.url} scrapes no target of job "${o.job}" (--prometheus.job)\n`);
    return EXIT.unreadable;
  }
  const report = buildFleetReport(results, config);
  const exitCode = exitCodeFor(report.counts, o.failOn);
  const meta = { url: o.url, exitCode, failOn: o.failOn, generator: `keyring-exporter ${packageVersion()}` };
  io.stdout(o.format === 'json' ? formatFleetJson(report, meta) : o.format === 'markdown' ? formatFleetMarkdown(report, meta) : formatFleetText(report, meta));
  return exitCode;
}
