/**
 * The exporter's own metrics (prom-client's process_* and nodejs_* collectors, keyring_exporter_reads_total),
 * written from one prom-client Registry in either format: the lines Registry#metrics() writes, from the same
 * values (each metric's collect() runs as it does there), without two of its costs.
 *
 * - Its serialisation makes a WeakMap entry and several arrays per sample line (flattenSharedLabels,
 *   formatLabels), a noticeable share of a small host's scrape.
 * - For OpenMetrics it renames every counter in place (`_total` dropped from the metric's name), so a text
 *   scrape after an OpenMetrics one exported process_cpu_seconds and keyring_exporter_reads without their
 *   `_total`, and one registry could not serve both formats. Here the name is only written differently.
 *
 * test/server/registry-exposition.test.ts compares the two on counters, gauges and histograms, in both formats.
 */
import type { Registry } from 'prom-client';
import { escapeLabelValue, escapeString, formatValue } from '../collector/gauge-family.js';

/** A sample as a prom-client metric's get() (or a histogram's getForPromString()) gives it. */
interface Sample {
  value: number;
  labels?: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  metricName?: string;
}

interface MetricData {
  name: string;
  help: string;
  type: string;
  values?: Sample[];
}

interface PromClientMetric {
  get(): Promise<MetricData>;
  getForPromString?: () => Promise<MetricData>;
}

function formatLabels(labels: Record<string, string | number>, skip: Record<string, unknown> | undefined, out: string): string {
  for (const name in labels) {
    if (skip !== undefined && Object.hasOwn(skip, name)) continue;
    const v = labels[name] as string | number;
    out += `${out === '' ? '' : ','}${name}="${typeof v === 'string' ? escapeLabelValue(v) : v}"`;
  }
  return out;
}

function formatMetric(m: MetricData, openMetrics: boolean): string {
  const counter = m.type === 'counter';
  const name = escapeString(openMetrics && counter ? m.name.replace(/_total$/, '') : m.name);
  let out = `# HELP ${name} ${escapeString(m.help)}\n# TYPE ${name} ${m.type}`;
  for (const v of m.values ?? []) {
    let metricName = v.metricName ?? name;
    if (openMetrics && counter) metricName += '_total';
    let labels = v.labels === undefined ? '' : formatLabels(v.labels, v.sharedLabels, '');
    if (v.sharedLabels !== undefined) labels = formatLabels(v.sharedLabels, undefined, labels);
    out += `\n${metricName}${labels === '' ? '' : `{${labels}}`} ${formatValue(v.value)}`;
  }
  return out;
}

/**
 * Every metric of the registry, one string per family (HELP, TYPE, samples; no trailing newline), in
 * registration order. The registry's metrics are collected concurrently, as Registry#metrics() does. No
 * default labels and no exemplars: the exporter sets neither.
 */
export async function formatRegistryFamilies(registry: Registry, openMetrics: boolean): Promise<string[]> {
  const metrics = registry.getMetricsAsArray() as unknown as PromClientMetric[];
  const data = await Promise.all(metrics.map((m) => (typeof m.getForPromString === 'function' ? m.getForPromString() : m.get())));
  return data.map((m) => formatMetric(m, openMetrics));
}
