/**
 * The exporter's process_* and nodejs_* metrics are prom-client's defaults, in its order, with its help and
 * types, but for the event loop's standard deviation (src/server/exporter-metrics.ts says why).
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DROPPED_DEFAULT_METRICS, registerExporterMetrics } from '../../src/server/exporter-metrics.js';

async function families(register: (r: Registry) => void) {
  const r = new Registry();
  register(r);
  const data = await r.getMetricsAsJSON();
  return data.map((m) => ({ name: m.name, help: m.help, type: m.type, labels: [...new Set(m.values.flatMap((v) => Object.keys(v.labels)))].sort() }));
}

describe('registerExporterMetrics', () => {
  it("registers prom-client's default metrics but the event loop's standard deviation, in the same order, with the same help", async () => {
    const ours = await families(registerExporterMetrics);
    const theirs = await families((r) => collectDefaultMetrics({ register: r }));
    expect(ours.length).toBeGreaterThan(25);
    expect(ours).toEqual(theirs.filter((f) => !DROPPED_DEFAULT_METRICS.includes(f.name)));
  });

  it('sets the event-loop gauges from the delays recorded since the last scrape', async () => {
    const r = new Registry();
    registerExporterMetrics(r);
    // Block the loop for 60 ms: the histogram records it, and the next collection reports it.
    await new Promise((res) => setTimeout(res, 30));
    const until = Date.now() + 60;
    while (Date.now() < until);
    await new Promise((res) => setTimeout(res, 30));
    // A scrape: every metric collected, as the registry does (the lag gauge's collection sets the others).
    const scrape = async (): Promise<Map<string, number>> =>
      new Map((await r.getMetricsAsJSON()).filter((m) => m.name.startsWith('nodejs_eventloop_lag')).map((m) => [m.name, m.values[0]?.value ?? Number.NaN]));
    const first = await scrape();
    const max = first.get('nodejs_eventloop_lag_max_seconds') as number;
    expect(max).toBeGreaterThan(0.04);
    expect(first.get('nodejs_eventloop_lag_min_seconds')).toBeLessThanOrEqual(max);
    expect(first.get('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(first.get('nodejs_eventloop_lag_mean_seconds')).toBeGreaterThan(0);
    expect(first.has('nodejs_eventloop_lag_stddev_seconds')).toBe(false);
    // The collection reset the histogram: the next one no longer sees the 60 ms. The lag of one loop turn,
    // measured at one scrape, is reported at the next.
    await new Promise((res) => setTimeout(res, 50));
    const second = await scrape();
    expect(second.get('nodejs_eventloop_lag_max_seconds')).toBeLessThan(0.04);
    expect(second.get('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
  });
});
