import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import { buildFleetReport, fleetQueries } from '../../src/audit/fleet.js';
import { formatFleetMarkdown } from '../../src/report/fleet-report.js';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

describe('fleet audit', () => {
  it('makes findings per instance from quota ratios, audit findings and up', () => {
    const r = buildFleetReport(
      {
        keys: [
          { labels: { instance: 'a:1', uid: '1000' }, value: 0.97 },
          { labels: { instance: 'b:1', uid: '1000' }, value: 0.5 },
        ],
        bytes: [{ labels: { instance: 'b:1', uid: '2000' }, value: 0.85 }],
        findings: [
          { labels: { instance: 'a:1', check: 'forged_proc_keys_line', severity: 'critical' }, value: 2 },
          { labels: { instance: 'a:1', check: 'quota_keys_near_limit', severity: 'critical' }, value: 1 },
        ],
        up: [
          { labels: { instance: 'a:1' }, value: 1 },
          { labels: { instance: 'b:1' }, value: 1 },
          { labels: { instance: 'c:1' }, value: 0 },
        ],
      },
      DEFAULT_AUDIT_CONFIG,
    );
    expect(r.instances).toEqual({ total: 3, down: 1 });
    expect(r.findings.map((f) => [f.severity, f.check, f.instance, f.uid])).toEqual([
      ['critical', 'forged_proc_keys_line', 'a:1', undefined],
      ['critical', 'quota_keys_near_limit', 'a:1', 1000],
      ['warning', 'quota_bytes_near_limit', 'b:1', 2000],
      ['warning', 'exporter_down', 'c:1', undefined],
    ]);
    expect(r.counts).toEqual({ info: 0, warning: 2, critical: 2 });
  });

  it('keeps the code spans of a fix in Markdown, as the host audit does, and escapes the rest', () => {
    const r = buildFleetReport(
      {
        keys: [],
        bytes: [],
        findings: [{ labels: { instance: 'a*1', check: 'forged_proc_keys_line', severity: 'critical' }, value: 1 }],
        up: [{ labels: { instance: 'a*1' }, value: 1 }],
      },
      DEFAULT_AUDIT_CONFIG,
    );
    const md = formatFleetMarkdown(r, { url: 'http://prometheus:9090', exitCode: 2, failOn: 'critical' });
    expect(md).toContain('  - Fix: Run `keyring-exporter audit` on a\\*1 for the details;');
  });

  it('selects the exporters\' job in every query', () => {
    for (const q of Object.values(fleetQueries('keyring'))) expect(q).toContain('job="keyring"');
  });

  it('exits 3 when Prometheus cannot be reached', async () => {
    const err: string[] = [];
    const io: CliIo = { stdout: () => undefined, stderr: (s) => void err.push(s), stdoutIsTty: false, clock: () => 0 };
    expect(await runCli(['audit', '--prometheus.url', 'http://127.0.0.1:9'], io)).toBe(3);
    expect(err.join('')).toContain('--prometheus.url http://127.0.0.1:9');
  });
});
