/**
 * The exporter's process_* and nodejs_* metrics are prom-client's defaults, in its order, with its help, types
 * and labels, but for the event-loop-delay histogram's gauges and the three gauges named like counters
 * (src/server/exporter-metrics.ts says why), written by the exporter from the same sources.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { joinFamilies } from '../../src/collector/gauge-family.js';
import { createExporterMetrics, DROPPED_DEFAULT_METRICS, EXPORTER_FAMILIES, type ExporterMetrics } from '../../src/server/exporter-metrics.js';

const made: ExporterMetrics[] = [];
function exporterMetrics(processMetrics = true): ExporterMetrics {
  const m = createExporterMetrics(processMetrics);
  made.push(m);
  return m;
}
afterEach(() => {
  for (const m of made.splice(0)) m.close();
});

/** Sample lines by series (name and labels) to value. */
function samples(text: string): Map<string, number> {
  return new Map(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
  );
}

/** Make garbage until V8 has run a minor collection and the GC observers have been told. */
async function collectGarbage(): Promise<void> {
  let seen = false;
  const observer = new PerformanceObserver(() => (seen = true));
  observer.observe({ entryTypes: ['gc'] });
  let keep: unknown[] = [];
  for (let round = 0; round < 200 && !seen; round++) {
    for (let i = 0; i < 1e5; i++) keep = [{ i, s: `${i}` }, keep.length > 10 ? [] : keep];
    await new Promise((r) => setTimeout(r, 5));
  }
  observer.disconnect();
  expect(seen).toBe(true);
}

describe('exporter metrics', () => {
  it("are prom-client's default metrics but the dropped ones, in the same order, with the same help, types and labels", () => {
    const r = new Registry();
    collectDefaultMetrics({ register: r });
    const theirs = r
      .getMetricsAsArray()
      .map((m) => {
        const x = m as unknown as { name: string; help: string; type: string; labelNames: string[] };
        return { name: x.name, help: x.help, type: x.type, labelNames: x.labelNames };
      })
      .filter((m) => !DROPPED_DEFAULT_METRICS.includes(m.name));
    expect(EXPORTER_FAMILIES.map((f) => ({ ...f, labelNames: [...f.labelNames] }))).toEqual(theirs);
    expect(theirs.length).toBeGreaterThan(15);
    expect(DROPPED_DEFAULT_METRICS).toHaveLength(10);
  });

  it('write each family with its HELP and TYPE, values from the process, and pass promtool check metrics', async () => {
    await collectGarbage();
    const m = exporterMetrics();
    m.families(false, 0);
    await collectGarbage();
    const text = joinFamilies(m.families(false, 7), false);
    for (const f of EXPORTER_FAMILIES.filter((x) => x.name !== 'nodejs_active_requests')) {
      expect(text, f.name).toContain(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`);
    }
    const s = samples(text);
    const cpu = process.cpuUsage();
    expect(s.get('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(s.get('process_cpu_seconds_total')).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6);
    expect(s.get('process_cpu_seconds_total')).toBeCloseTo((s.get('process_cpu_user_seconds_total') ?? 0) + (s.get('process_cpu_system_seconds_total') ?? 0), 6);
    expect(Math.abs((s.get('process_resident_memory_bytes') ?? 0) - process.memoryUsage().rss)).toBeLessThan(64 << 20);
    expect(s.get('process_virtual_memory_bytes')).toBeGreaterThan(s.get('process_resident_memory_bytes') ?? 0);
    expect(Math.abs((s.get('process_open_fds') ?? 0) - (readdirSync('/proc/self/fd').length - 1))).toBeLessThanOrEqual(2);
    expect(s.get('process_max_fds')).toBeGreaterThan(0);
    expect(Math.abs((s.get('process_start_time_seconds') ?? 0) - (Date.now() / 1000 - process.uptime()))).toBeLessThanOrEqual(1);
    const [major, minor, patch] = process.version.slice(1).split('.');
    expect(s.get(`nodejs_version_info{version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"}`)).toBe(1);
    expect(s.get('nodejs_heap_space_size_used_bytes{space="old"}')).toBeGreaterThan(0);
    expect(s.get('keyring_exporter_reads_total')).toBe(7);
    // The GC histogram: cumulative buckets, +Inf equal to the count.
    const buckets = [...s].filter(([k]) => k.startsWith('nodejs_gc_duration_seconds_bucket{') && k.endsWith('kind="minor"}')).map(([, v]) => v);
    expect(buckets).toHaveLength(7);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(buckets.at(-1)).toBe(s.get('nodejs_gc_duration_seconds_count{kind="minor"}'));
    expect(buckets.at(-1)).toBeGreaterThan(0);

    const om = joinFamilies(m.families(true, 7), true);
    expect(om).toContain('# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total ');
    expect(om).toContain('# TYPE keyring_exporter_reads counter\nkeyring_exporter_reads_total 7');
    // promtool check metrics reads the text format only.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it('write the same series prom-client writes for the same process', async () => {
    const r = new Registry();
    collectDefaultMetrics({ register: r });
    const m = exporterMetrics();
    // Series whose set does not depend on the moment (active handles and collections do).
    const steady = (text: string): string[] => [...samples(text).keys()].filter((k) => /^(process_|nodejs_heap|nodejs_external|nodejs_version|nodejs_eventloop_lag_seconds)/.test(k));
    const ours = steady(joinFamilies(m.families(false, 0), false));
    expect(ours.length).toBeGreaterThan(30);
    expect(ours).toEqual(steady(await r.metrics()));
  });

  it('measure the lag of one turn of the loop at each scrape and report it at the next', async () => {
    const m = exporterMetrics();
    m.families(false, 0);
    // The scrape queued an immediate; block the loop for 40 ms before it runs.
    const until = Date.now() + 40;
    while (Date.now() < until);
    await new Promise((res) => setImmediate(res));
    expect(samples(joinFamilies(m.families(false, 0), false)).get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0.04);
  });

  it('write only keyring_exporter_reads_total with --web.disable-exporter-metrics', () => {
    expect(exporterMetrics(false).families(false, 3)).toEqual(['# HELP keyring_exporter_reads_total ' + 'Reads of the keys files (/proc/keys, /proc/key-users, the keys sysctls) since the exporter started. Scrapes that arrive while a read is in flight share it, so under concurrent scrapes this grows more slowly than the scrape count.' + '\n# TYPE keyring_exporter_reads_total counter\nkeyring_exporter_reads_total 3']);
  });
});
