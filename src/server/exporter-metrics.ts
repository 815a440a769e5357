/**
 * The exporter's process_* and nodejs_* metrics: prom-client's default metrics, registered one module at a time
 * (as collectDefaultMetrics does, in its order), with its event-loop-lag module cut down to its first gauge.
 *
 * That module samples the event loop's delay with perf_hooks monitorEventLoopDelay, a timer that fires every
 * 10 ms for the life of the process: 100 wakeups a second of an exporter that is otherwise idle between scrapes,
 * far more CPU than the scrapes themselves, where node_exporter idles at none. Its readings also cost CPU per
 * scrape: Node computes each percentile, and the standard deviation, by walking every bucket of the histogram.
 * So the histogram's gauges
 * (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`) are not exported (docs/metrics.md).
 *
 * `nodejs_eventloop_lag_seconds` stays, with prom-client's name, help and meaning: the lag of one turn of the
 * loop, measured from each scrape (a setImmediate) and reported by the next. It costs nothing between scrapes.
 * How long the exporter blocks while it serves is in its scrape and collector durations.
 *
 * prom-client does not export its metric modules, so they are loaded by path: test/server/exporter-metrics.test.ts
 * checks that the result is collectDefaultMetrics' families but the dropped ones, so an upgrade that moves them
 * fails loudly.
 */
import { createRequire } from 'node:module';
import { Gauge, type Registry } from 'prom-client';

type DefaultMetric = (registry: Registry, config: object) => void;

const require = createRequire(import.meta.url);

/** collectDefaultMetrics' modules, in its order; null marks where its event-loop-lag module was. */
const MODULES: (string | null)[] = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  null,
  ...(typeof process.getActiveResourcesInfo === 'function' ? ['processResources'] : []),
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
];

/**
 * Gauges prom-client names `*_total`, a suffix only counters may have (`promtool check metrics` fails on them).
 * Each is the sum of the family of the same name without the suffix, by type (`sum(nodejs_active_handles)`).
 */
const TOTAL_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The metrics prom-client exports that this exporter does not: the event-loop-delay histogram's, and the gauges
 * named like counters.
 */
export const DROPPED_DEFAULT_METRICS = [...['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`), ...TOTAL_GAUGES];

/**
 * prom-client's `nodejs_eventloop_lag_seconds` (lib/metrics/eventLoopLag.js), without the histogram: no timer
 * runs between scrapes.
 */
function eventLoopLag(registry: Registry): void {
  const lag: Gauge = new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
    },
  });
}

/** Register the exporter's process_* and nodejs_* metrics in `registry`. */
export function registerExporterMetrics(registry: Registry): void {
  const config = {};
  for (const name of MODULES) {
    if (name === null) eventLoopLag(registry);
    else (require(`prom-client/lib/metrics/${name}.js`) as DefaultMetric)(registry, config);
  }
  for (const name of TOTAL_GAUGES) if (registry.getSingleMetric(name) !== undefined) registry.removeSingleMetric(name);
}
