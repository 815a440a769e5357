import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { joinFamilies } from '../../src/collector/gauge-family.js';
import { formatRegistryFamilies } from '../../src/server/registry-exposition.js';

/** A registry of each kind of metric the exporter's own registry holds, with fixed values. */
function registry(openMetrics: boolean): Registry {
  const r = new Registry();
  if (openMetrics) r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  new Counter({ name: 'c_total', help: 'a counter', registers: [r] }).inc(3);
  const labelled = new Counter({ name: 'd_total', help: 'with "labels" \\ and\nnewlines', labelNames: ['k'], registers: [r] });
  labelled.inc({ k: 'a"b\\c\nd' }, 2);
  labelled.inc({ k: 'plain' });
  new Gauge({ name: 'g', help: 'a gauge', registers: [r] }).set(Number.NaN);
  const g2 = new Gauge({ name: 'g2', help: 'labels', labelNames: ['a', 'b'], registers: [r] });
  g2.set({ b: '2', a: '1' }, Number.POSITIVE_INFINITY);
  g2.set({ a: 'x', b: 'y' }, -1.5e-7);
  const h = new Histogram({ name: 'h_seconds', help: 'a histogram', labelNames: ['kind'], buckets: [0.001, 0.1, 1], registers: [r] });
  h.observe({ kind: 'minor' }, 0.05);
  h.observe({ kind: 'major' }, 2);
  new Histogram({ name: 'empty_seconds', help: 'never observed', registers: [r] });
  return r;
}

describe('formatRegistryFamilies', () => {
  it.each([false, true])('writes what Registry#metrics() writes (OpenMetrics: %s)', async (openMetrics) => {
    const ours = joinFamilies(await formatRegistryFamilies(registry(openMetrics), openMetrics), openMetrics);
    expect(ours).toBe(await registry(openMetrics).metrics());
  });

  it('serves both formats from one registry: counters keep their _total in the text format after an OpenMetrics scrape', async () => {
    const r = registry(false);
    const om = joinFamilies(await formatRegistryFamilies(r, true), true);
    expect(om).toContain('# TYPE c counter\nc_total 3');
    const text = joinFamilies(await formatRegistryFamilies(r, false), false);
    expect(text).toBe(await registry(false).metrics());
  });

  it('writes the default process metrics with the names and labels prom-client writes', async () => {
    const r = new Registry();
    collectDefaultMetrics({ register: r });
    // Values change from one collection to the next: compare names and labels.
    const shape = (text: string): string[] => text.split('\n').map((l) => (l.startsWith('#') ? l : l.slice(0, l.lastIndexOf(' '))));
    const ours = shape(joinFamilies(await formatRegistryFamilies(r, false), false));
    const theirs = shape(await r.metrics());
    const names = (lines: string[]): string[] => [...new Set(lines.filter((l) => !l.startsWith('nodejs_active_resources{')))];
    expect(names(ours)).toEqual(names(theirs));
  });
});
