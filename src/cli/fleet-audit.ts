/** `keyring-exporter audit --prometheus.url URL`: the audit of every instance Prometheus scrapes. */
import { buildFleetReport, fleetQueries, type FleetQuery, type Sample } from '../audit/fleet.js';
import { formatFleetJson, formatFleetMarkdown, formatFleetText } from '../report/fleet-report.js';
import { escapeByteString } from '../parser/byte-string.js';
import { exitCodeFor } from './audit-command.js';
import { loadAuditConfig } from './load-audit-config.js';
import type { FailOn } from './fail-on.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

/** Why a request to Prometheus failed, in the words an operator looks for: refused, DNS, TLS, timeout. */
export function requestFailure(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer within 10 s (timeout)';
  const code = err.cause?.code ?? '';
  const detail = err.cause?.message ?? err.message ?? String(e);
  if (code === 'ECONNREFUSED') return `connection refused (${detail})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS: the host name does not resolve (${detail})`;
  if (/CERT|TLS|SSL|SIGNATURE|EPROTO/.test(code)) return `TLS: ${detail}`;
  if (code !== '') return `${code}: ${detail}`;
  return detail;
}

async function instantQuery(base: string, query: string): Promise<Sample[]> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new Error(requestFailure(e));
  }
  let body: { status?: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new Error(`HTTP ${res.status} ${res.statusText}: not a Prometheus API answer (is the URL Prometheus' own, without /graph?)`);
  }
  if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`HTTP ${res.status}: ${query}: ${body.error ?? 'not a vector'}`);
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

export async function runFleetAudit(
  o: { url: string; job: string; format: 'text' | 'json' | 'markdown'; failOn: FailOn; configFile?: string },
  io: CliIo,
): Promise<number> {
  let url: URL | null = null;
  try {
    url = new URL(o.url);
  } catch {
    // Reported below.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    io.stderr(`keyring-exporter: --prometheus.url ${escapeByteString(o.url)}: expected an http:// or https:// URL, such as http://prometheus:9090\n`);
    return EXIT.usage;
  }
  const config = await loadAuditConfig(o.configFile, io);
  if (config === null) return EXIT.usage;
  const queries = fleetQueries(o.job);
  let results: Record<FleetQuery, Sample[]>;
  try {
    const entries = await Promise.all((Object.keys(queries) as FleetQuery[]).map(async (k) => [k, await instantQuery(o.url, queries[k])] as const));
    results = Object.fromEntries(entries) as Record<FleetQuery, Sample[]>;
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
