/**
 * The exporter's process_* and nodejs_* metrics: prom-client's default metrics, registered one module at a time
 * (as collectDefaultMetrics does, in its order), with one change to its event-loop-lag module.
 *
 * That module sets nodejs_eventloop_lag_stddev_seconds from the event-loop-delay histogram on every scrape, and
 * Node computes a standard deviation by walking every bucket of the histogram (perf_hooks monitorEventLoopDelay;
 * 0.39 ms even when it is empty, measured). On a small host that was 0.4 of the 2.2 ms of CPU a whole scrape
 * cost (--cpu-prof over 3,000 scrapes), and without it a scrape costs 1.65-1.75 ms. The other lag gauges cost
 * microseconds, so they stay, with prom-client's names, help and meaning; the standard deviation is not exported
 * (docs/metrics.md).
 *
 * prom-client does not export its metric modules, so they are loaded by path: test/server/exporter-metrics.test.ts
 * checks that the result is collectDefaultMetrics' families but one, so an upgrade that moves them fails loudly.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

/** The metric prom-client exports that this exporter does not. */
export const DROPPED_DEFAULT_METRICS = ['nodejs_eventloop_lag_stddev_seconds'];

/** prom-client's `eventLoopMonitoringPrecision` default: the histogram samples the loop every 10 ms. */
const RESOLUTION_MS = 10;

/**
 * prom-client's event-loop-lag gauges (lib/metrics/eventLoopLag.js) without the standard deviation: the lag
 * of one turn of the loop, measured from each scrape and reported by the next, and the delays the histogram
 * recorded since the last scrape.
 */
function eventLoopLag(registry: Registry): void {
  const registers = [registry];
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  const lag = new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    registers,
    // This one metric's collect sets every metric of the module.
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
      min.set(histogram.min / 1e9);
      max.set(histogram.max / 1e9);
      mean.set(histogram.mean / 1e9);
      p50.set(histogram.percentile(50) / 1e9);
      p90.set(histogram.percentile(90) / 1e9);
      p99.set(histogram.percentile(99) / 1e9);
      histogram.reset();
    },
  });
  const min = gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.');
  const max = gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.');
  const mean = gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.');
  const p50 = gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.');
  const p90 = gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.');
  const p99 = gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.');
}

/** Register the exporter's process_* and nodejs_* metrics in `registry`. */
export function registerExporterMetrics(registry: Registry): void {
  const config = { eventLoopMonitoringPrecision: RESOLUTION_MS };
  for (const name of MODULES) {
    if (name === null) eventLoopLag(registry);
    else (require(`prom-client/lib/metrics/${name}.js`) as DefaultMetric)(registry, config);
  }
}
