/**
 * The exporter's process_* and nodejs_* metrics are prom-client's defaults, in its order, with its help and
 * types, but for the gauges of the event-loop-delay histogram and the three gauges named like counters
 * (src/server/exporter-metrics.ts says why).
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
  it("registers prom-client's default metrics but the event-loop-delay histogram's, in the same order, with the same help", async () => {
    const ours = await families(registerExporterMetrics);
    const theirs = await families((r) => collectDefaultMetrics({ register: r }));
    expect(ours.length).toBeGreaterThan(15);
    expect(ours).toEqual(theirs.filter((f) => !DROPPED_DEFAULT_METRICS.includes(f.name)));
  });

  it('measures the lag of one turn of the loop at each scrape and reports it at the next; no histogram gauge', async () => {
    const r = new Registry();
    registerExporterMetrics(r);
    const scrape = async (): Promise<Map<string, number>> =>
      new Map((await r.getMetricsAsJSON()).filter((m) => m.name.startsWith('nodejs_eventloop_lag')).map((m) => [m.name, m.values[0]?.value ?? Number.NaN]));
    const first = await scrape();
    expect([...first.keys()]).toEqual(['nodejs_eventloop_lag_seconds']);
    // The scrape queued an immediate; block the loop for 40 ms before it runs.
    const until = Date.now() + 40;
    while (Date.now() < until);
    await new Promise((res) => setImmediate(res));
    const second = await scrape();
    expect(second.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0.04);
    expect(DROPPED_DEFAULT_METRICS).toHaveLength(10);
  });
});
