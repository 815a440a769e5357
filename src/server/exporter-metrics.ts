/**
 * The exporter's own process_* and nodejs_* metrics: prom-client's default metrics (collectDefaultMetrics), with
 * its names, help, types and labels, in its order (test/server/exporter-metrics.test.ts compares them), written
 * here from the same sources (process.cpuUsage(), /proc/self, process.memoryUsage(), v8's heap spaces, GC
 * performance entries).
 *
 * A device, kept because `npm run bench` shows a small host's scrape past its target without it: prom-client's
 * modules set each value through a labelled Gauge or Counter and its registry serialises them, 0.29 ms of a small
 * host's 1.2 ms of CPU a scrape (measured with --web.disable-exporter-metrics against the defaults). Here each
 * scrape reads the sources once and writes the lines with the keyring_* families' writer (gauge-family.ts).
 *
 * Where it differs from prom-client, on purpose:
 * - The process_cpu_* counters count from the process's start, as client_golang's process collector does
 *   (prom-client counts from when its module was loaded).
 * - A family with no series (no active requests, no collection yet) is left out, as the keyring_* families are.
 * - Of the event-loop metrics only `nodejs_eventloop_lag_seconds`: the lag of one turn of the loop, measured at
 *   each scrape (a setImmediate) and reported by the next. prom-client's event-loop-delay histogram runs a timer
 *   every 10 ms for the life of the process (100 wakeups a second of an exporter otherwise idle between scrapes)
 *   and walks its buckets for each percentile at every scrape; its gauges
 *   (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`) are not exported.
 * - `nodejs_active_{handles,requests,resources}_total` are not exported: gauges may not end in `_total`
 *   (`promtool check metrics`), and each is the sum of the family without the suffix.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { GaugeFamily, escapeString, formatValue } from '../collector/gauge-family.js';
import { READS_COUNTER } from '../collector/metric-families.js';

export interface FamilyMeta {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
}

const COUNTERS = {
  cpuUser: { name: 'process_cpu_user_seconds_total', help: 'Total user CPU time spent in seconds.' },
  cpuSystem: { name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.' },
  cpu: { name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.' },
} as const;

const GC = {
  name: 'nodejs_gc_duration_seconds',
  help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
  buckets: [0.001, 0.01, 0.1, 1, 2, 5],
} as const;

/** The gauges, in prom-client's order, between the CPU counters and the GC histogram. */
const GAUGES = [
  ['startTime', 'process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', []],
  ['rss', 'process_resident_memory_bytes', 'Resident memory size in bytes.', []],
  ['vsize', 'process_virtual_memory_bytes', 'Virtual memory size in bytes.', []],
  ['data', 'process_heap_bytes', 'Process heap size in bytes.', []],
  ['openFds', 'process_open_fds', 'Number of open file descriptors.', []],
  ['maxFds', 'process_max_fds', 'Maximum number of open file descriptors.', []],
  ['lag', 'nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', []],
  ['resources', 'nodejs_active_resources', 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.', ['type']],
  ['handles', 'nodejs_active_handles', 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', ['type']],
  ['requests', 'nodejs_active_requests', 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', ['type']],
  ['heapTotal', 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', []],
  ['heapUsed', 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', []],
  ['external', 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', []],
  ['spaceTotal', 'nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', ['space']],
  ['spaceUsed', 'nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', ['space']],
  ['spaceAvailable', 'nodejs_heap_space_size_available_bytes', 'Process heap space size available from Node.js in bytes.', ['space']],
  ['version', 'nodejs_version_info', 'Node.js version info.', ['version', 'major', 'minor', 'patch']],
] as const;

type GaugeKey = (typeof GAUGES)[number][0];

/** Every family this module writes, in order: what the test compares with prom-client's. */
export const EXPORTER_FAMILIES: readonly FamilyMeta[] = [
  ...Object.values(COUNTERS).map((c) => ({ ...c, type: 'counter' as const, labelNames: [] })),
  ...GAUGES.map(([, name, help, labelNames]) => ({ name, help, type: 'gauge' as const, labelNames })),
  { name: GC.name, help: GC.help, type: 'histogram', labelNames: ['kind'] },
];

/** The names prom-client's collectDefaultMetrics exports that this module does not (see above). */
export const DROPPED_DEFAULT_METRICS = [
  ...['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`),
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const START_TIME = Math.round(Date.now() / 1000 - process.uptime());

function counterLines(c: { name: string; help: string }, value: number, openMetrics: boolean): string {
  const family = openMetrics ? c.name.slice(0, -'_total'.length) : c.name;
  return `# HELP ${family} ${escapeString(c.help)}\n# TYPE ${family} counter\n${c.name} ${formatValue(value)}`;
}

/** `Max open files` of /proc/self/limits (its soft limit), as prom-client reads it; null where it cannot be read. */
function maxOpenFiles(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const n = Number(line?.split(/ {2,}/)[1]);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** VmSize, VmRSS and VmData of /proc/self/status, in bytes; null where it cannot be read. */
function statusMemory(): { vsize: number; rss: number; data: number } | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/status', 'latin1');
  } catch {
    return null;
  }
  const kb = (field: string): number => {
    const at = text.indexOf(`\n${field}:`);
    return at === -1 ? Number.NaN : Number.parseInt(text.slice(at + field.length + 2, text.indexOf('\n', at + 1)).trim(), 10) * 1024;
  };
  return { vsize: kb('VmSize'), rss: kb('VmRSS'), data: kb('VmData') };
}

function countBy(names: Iterable<string>, into: GaugeFamily, label: string): void {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const [n, count] of counts) into.set({ [label]: n }, count);
}

interface Internals {
  _getActiveHandles?: () => object[];
  _getActiveRequests?: () => object[];
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export interface ExporterMetrics {
  /** The families of one scrape, each as gauge-family.ts formats one; `reads` is keyring_exporter_reads_total. */
  families(openMetrics: boolean, reads: number): string[];
  /** Stop observing garbage collections. */
  close(): void;
}

/**
 * The exporter's metrics. With `processMetrics` false (--web.disable-exporter-metrics) only
 * keyring_exporter_reads_total is written.
 */
export function createExporterMetrics(processMetrics: boolean): ExporterMetrics {
  const gauges = Object.fromEntries(GAUGES.map(([key, name, help, labels]) => [key, new GaugeFamily(name, help, labels)])) as Record<GaugeKey, GaugeFamily>;
  const maxFds = maxOpenFiles();
  const [major, minor, patch] = process.version.slice(1).split('.');
  let lag = 0;

  // Per kind: the count of collections in each bucket (not cumulative), the count in all, the sum of seconds.
  const gc = new Map<string, { buckets: number[]; count: number; sum: number }>();
  const observer = processMetrics
    ? new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
          const kind = GC_KINDS[entry.detail?.kind ?? -1];
          if (kind === undefined) continue;
          let h = gc.get(kind);
          if (h === undefined) gc.set(kind, (h = { buckets: GC.buckets.map(() => 0), count: 0, sum: 0 }));
          const seconds = entry.duration / 1000;
          const at = GC.buckets.findIndex((b) => seconds <= b);
          if (at !== -1) (h.buckets[at] as number)++;
          h.count++;
          h.sum += seconds;
        }
      })
    : null;
  observer?.observe({ entryTypes: ['gc'] });

  // The same lines in both formats.
  const gcLines = (): string | null => {
    if (gc.size === 0) return null;
    let out = `# HELP ${GC.name} ${escapeString(GC.help)}\n# TYPE ${GC.name} histogram`;
    for (const [kind, h] of gc) {
      let acc = 0;
      GC.buckets.forEach((le, i) => {
        acc += h.buckets[i] as number;
        out += `\n${GC.name}_bucket{le="${le}",kind="${kind}"} ${acc}`;
      });
      out += `\n${GC.name}_bucket{le="+Inf",kind="${kind}"} ${h.count}\n${GC.name}_sum{kind="${kind}"} ${formatValue(h.sum)}\n${GC.name}_count{kind="${kind}"} ${h.count}`;
    }
    return out;
  };

  const collect = (): void => {
    for (const g of Object.values(gauges)) g.reset();
    gauges.startTime.set(START_TIME);
    const memory = statusMemory();
    if (memory !== null) {
      gauges.rss.set(memory.rss);
      gauges.vsize.set(memory.vsize);
      gauges.data.set(memory.data);
    }
    try {
      // Less the descriptor the listing itself used.
      gauges.openFds.set(readdirSync('/proc/self/fd').length - 1);
    } catch {
      // Not Linux: no value rather than a false one.
    }
    if (maxFds !== null) gauges.maxFds.set(maxFds);
    gauges.lag.set(lag);
    const start = process.hrtime.bigint();
    setImmediate(() => (lag = Number(process.hrtime.bigint() - start) / 1e9));
    countBy(process.getActiveResourcesInfo(), gauges.resources, 'type');
    const internals = process as unknown as Internals;
    countBy((internals._getActiveHandles?.() ?? []).map((h) => h.constructor.name), gauges.handles, 'type');
    countBy((internals._getActiveRequests?.() ?? []).map((r) => r.constructor.name), gauges.requests, 'type');
    const usage = process.memoryUsage();
    gauges.heapTotal.set(usage.heapTotal);
    gauges.heapUsed.set(usage.heapUsed);
    gauges.external.set(usage.external);
    for (const s of getHeapSpaceStatistics()) {
      const labels = { space: s.space_name.slice(0, s.space_name.indexOf('_space')) };
      gauges.spaceTotal.set(labels, s.space_size);
      gauges.spaceUsed.set(labels, s.space_used_size);
      gauges.spaceAvailable.set(labels, s.space_available_size);
    }
    gauges.version.set({ version: process.version, major: major ?? '', minor: minor ?? '', patch: patch ?? '' }, 1);
  };

  return {
    families(openMetrics, reads) {
      const out: string[] = [];
      if (processMetrics) {
        const cpu = process.cpuUsage();
        out.push(
          counterLines(COUNTERS.cpuUser, cpu.user / 1e6, openMetrics),
          counterLines(COUNTERS.cpuSystem, cpu.system / 1e6, openMetrics),
          counterLines(COUNTERS.cpu, (cpu.user + cpu.system) / 1e6, openMetrics),
        );
        collect();
        for (const g of Object.values(gauges)) if (!g.empty) out.push(g.format());
        const h = gcLines();
        if (h !== null) out.push(h);
      }
      out.push(counterLines(READS_COUNTER, reads, openMetrics));
      return out;
    },
    close() {
      observer?.disconnect();
    },
  };
}
