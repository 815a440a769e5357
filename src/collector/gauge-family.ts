/**
 * The keyring_* gauges without prom-client's Gauge: a family is its series in the order they were first set,
 * and it writes its own exposition lines, byte for byte what prom-client's Registry writes for a Gauge
 * (test/collector/gauge-family.test.ts compares the two on every fixture, in both formats).
 *
 * Why: for these ~130 series prom-client does what a few string concatenations do (a label hash and check per
 * set, formatLabels, flattenSharedLabels and regex replaces per label per line), the larger part of a small
 * host's scrape (`npm run bench`), and loading it costs a small host's exporter some 45 ms of its start and
 * several MB. The exporter's own process_* and nodejs_* metrics are written the same way
 * (src/server/exporter-metrics.ts).
 *
 * A family can still register in a prom-client Registry (`registerIn`): the tests serialise through one to
 * compare.
 */
import type { Metric, Registry } from 'prom-client';

/** As prom-client escapes a name or help text. */
export const escapeString = (s: string): string => (/[\\\n]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : s);
/** As prom-client escapes a label value. */
export const escapeLabelValue = (s: string): string => (/[\\\n"]/.test(s) ? escapeString(s).replace(/"/g, '\\"') : s);

/** prom-client's getValueAsString: NaN is written "Nan", as it does. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}

interface Series {
  labels: Record<string, string>;
  /** `name{a="x",b="y"}`, made when the series is first set. */
  head: string;
  value: number;
  /** The update that last set it: only the current update's series are exported. */
  update: number;
}

export class GaugeFamily {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly header: string;
  /** The series of the current update and of the one before, by their label values. */
  private readonly series = new Map<string, Series>();
  private update = 0;
  /** Series set in the current update. */
  private live = 0;

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.header = `# HELP ${name} ${escapeString(help)}\n# TYPE ${name} gauge`;
  }

  /**
   * Start an update: what is not set again before the next exposition is not exported. A family without labels
   * too has no series until it is set (a prom-client Gauge would be 0): a value that was not read is not a zero.
   * The series the update before did not set are forgotten; the others are kept, with their line heads, for
   * this one to set again.
   */
  reset(): void {
    if (this.series.size > this.live) for (const [key, s] of this.series) if (s.update !== this.update) this.series.delete(key);
    this.update++;
    this.live = 0;
  }

  /** Whether no series was set since the last reset: the family is then left out of the exposition. */
  get empty(): boolean {
    return this.live === 0;
  }

  set(labels: Record<string, string>, value: number): void;
  set(value: number): void;
  set(a: Record<string, string> | number, b?: number): void {
    if (typeof a === 'number') this.at({}).value = a;
    else this.at(a).value = b as number;
  }

  inc(labels: Record<string, string>, by = 1): void {
    this.at(labels).value += by;
  }

  private at(labels: Record<string, string>): Series {
    const names = this.labelNames;
    let key = '';
    for (let j = 0; j < names.length; j++) {
      const v = labels[names[j] as string];
      if (v === undefined) throw new Error(`${this.name}: label ${names[j]} missing`);
      key = j === 0 ? v : `${key}\u0000${v}`;
    }
    let s = this.series.get(key);
    if (s === undefined) {
      let head = this.name;
      if (names.length > 0) {
        head += '{';
        for (let j = 0; j < names.length; j++) head += `${j > 0 ? ',' : ''}${names[j]}="${escapeLabelValue(labels[names[j] as string] as string)}"`;
        head += '}';
      }
      s = { labels: { ...labels }, head, value: 0, update: this.update - 1 };
      this.series.set(key, s);
    }
    if (s.update !== this.update) {
      s.update = this.update;
      s.value = 0;
      this.live++;
    }
    return s;
  }

  /** HELP, TYPE and one line per series, joined by newlines, as prom-client writes a family (no trailing newline). */
  format(): string {
    let out = this.header;
    for (const s of this.series.values()) if (s.update === this.update) out += `\n${s.head} ${formatValue(s.value)}`;
    return out;
  }

  /** Register in a prom-client Registry: its metrics() then writes this family as it writes a Gauge. */
  registerIn(registry: Registry): void {
    // Only what Registry.metrics() reads of a metric: name, type and an async get().
    const metric = {
      name: this.name,
      help: this.help,
      type: 'gauge',
      aggregator: 'sum',
      get: () => Promise.resolve({ name: this.name, help: this.help, type: 'gauge', aggregator: 'sum', values: [...this.series.values()].filter((s) => s.update === this.update).map((s) => ({ labels: s.labels, value: s.value })) }),
      reset: () => this.reset(),
    };
    registry.registerMetric(metric as unknown as Metric);
  }
}

/** Families (each as format() writes it) as prom-client's Registry#metrics() joins them: a blank line between them in the text format, none in OpenMetrics, which ends with `# EOF`. */
export function joinFamilies(families: readonly string[], openMetrics: boolean): string {
  return openMetrics ? `${families.join('\n')}\n# EOF\n` : `${families.join('\n\n')}\n`;
}

/**
 * The families that have a series, written as prom-client's Registry#metrics() writes them (it would write the
 * HELP and TYPE of the others too).
 */
export function formatFamilies(families: Iterable<GaugeFamily>, openMetrics: boolean): string {
  return joinFamilies(
    Array.from(families, (f) => (f.empty ? '' : f.format())).filter((f) => f !== ''),
    openMetrics,
  );
}
