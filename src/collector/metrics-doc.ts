/** docs/metrics.md, written from the metric families so that the contract and its page cannot disagree. */
import { READS_COUNTER, type MetricFamily } from './metric-families.js';

export function formatMetricsDoc(families: readonly MetricFamily[]): string {
  const out = [
    '# Metrics',
    '',
    '<!-- Generated from src/collector/metric-families.ts by test/collector/collectors.test.ts (UPDATE_GOLDEN=1); do not edit by hand. -->',
    '',
    'Every family is a gauge. No key serial, description or keyring name is ever a label value; `uid` is capped',
    'by `--collector.users.max-uids` (default 100: the uids nearest their quota keep their own label, the rest are',
    'summed into `uid="other"`). Collectors are switched off with `--no-collector.<name>`. No value is exported',
    'that was not read: a collector switched off exports none of its families, one that failed exports',
    '`keyring_scrape_collector_success{collector="NAME"} 0` and none of its values, a sysctl the kernel does not',
    'have (`persistent_keyring_expiry` without `CONFIG_PERSISTENT_KEYRINGS`) is left out, and `keyring_parse_issues`',
    'counts only the files that were read.',
    '',
    '`serve` also exports the `process_*` and `nodejs_*` metrics of prom-client\'s `collectDefaultMetrics`, with its',
    'names, help, types and labels (off with `--web.disable-exporter-metrics`), and the exposition passes',
    '`promtool check metrics`. The process CPU counters count from the process\'s start, as client_golang\'s do. A',
    'family with no series (no active requests, no garbage collection yet) is left out. Three of prom-client\'s',
    'gauges are left out because their names end in `_total`, which only counters may: `nodejs_active_handles_total`,',
    '`nodejs_active_requests_total` and `nodejs_active_resources_total` are the sums of `nodejs_active_handles`,',
    '`nodejs_active_requests` and `nodejs_active_resources` over their `type` label. Of prom-client\'s',
    'event-loop metrics only `nodejs_eventloop_lag_seconds` is exported: the lag of one turn of the loop, measured',
    'at each scrape and reported at the next. The others (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`)',
    'read a histogram that a 10 ms timer fills for the life of the process: 100 wakeups a second, and more CPU in',
    'every scrape interval than the scrape itself, on an exporter that is otherwise idle between scrapes',
    '(src/server/exporter-metrics.ts).',
    '',
    `\`serve\` keeps one counter across scrapes, always exported: \`${READS_COUNTER.name}\`. ${READS_COUNTER.help}`,
    '',
    '| metric | type | collector | labels | help |',
    '|---|---|---|---|---|',
    ...families.map((f) => `| \`${f.name}\` | gauge | ${f.collector} | ${f.labels.map((l) => `\`${l}\``).join(', ') || '-'} | ${f.help.replace(/\|/g, '\\|')} |`),
    '',
    '## Label values',
  ];
  for (const f of families.filter((x) => x.labels.length > 0)) {
    out.push('', `### ${f.name}`, '');
    for (const l of f.labels) out.push(`- \`${l}\`: ${(f.labelValues[l] ?? '').replace(/\|/g, '\\|')}`);
  }
  return out.join('\n') + '\n';
}
