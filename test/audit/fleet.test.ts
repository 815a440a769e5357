import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import { buildFleetReport, fleetQueries } from '../../src/audit/fleet.js';
import { formatFleetJson, formatFleetMarkdown } from '../../src/report/fleet-report.js';
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
        failing: [{ labels: { instance: 'b:1', collector: 'key_users' }, value: 0 }],
      },
      DEFAULT_AUDIT_CONFIG,
    );
    expect(r.instances).toEqual({ total: 3, down: 1 });
    // An exporter that is down hides whatever it would find: critical, so --fail-on critical sees it.
    expect(r.findings.map((f) => [f.severity, f.check, f.instance, f.uid])).toEqual([
      ['critical', 'forged_proc_keys_line', 'a:1', undefined],
      ['critical', 'quota_keys_near_limit', 'a:1', 1000],
      ['critical', 'exporter_down', 'c:1', undefined],
      ['warning', 'exporter_collector_failing', 'b:1', undefined],
      ['warning', 'quota_bytes_near_limit', 'b:1', 2000],
    ]);
    expect(r.counts).toEqual({ info: 0, warning: 2, critical: 3 });
    expect(r.findings.find((f) => f.check === 'exporter_collector_failing')?.message).toContain('the key_users collector');
    // The JSON is what docs/schemas/fleet-audit.schema.json says.
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(new URL('../../docs/schemas/fleet-audit.schema.json', import.meta.url), 'utf8')));
    const doc = JSON.parse(formatFleetJson(r, { url: 'http://prometheus:9090', exitCode: 1, failOn: 'critical', generator: 'keyring-exporter 0.1.0' }));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('keeps the code spans of a fix in Markdown, as the host audit does, and escapes the rest', () => {
    const r = buildFleetReport(
      {
        keys: [],
        bytes: [],
        findings: [{ labels: { instance: 'a*1', check: 'forged_proc_keys_line', severity: 'critical' }, value: 1 }],
        up: [{ labels: { instance: 'a*1' }, value: 1 }],
        failing: [],
      },
      DEFAULT_AUDIT_CONFIG,
    );
    const md = formatFleetMarkdown(r, { url: 'http://prometheus:9090', exitCode: 2, failOn: 'critical' });
    expect(md).toContain('  - Fix: Run `keyring-exporter audit` on a\\*1 for the details;');
  });

  it('selects the exporters\' job in every query', () => {
    for (const q of Object.values(fleetQueries('keyring'))) expect(q).toContain('job="keyring"');
  });

  const quiet = (err: string[]): CliIo => ({ stdout: () => undefined, stderr: (s) => void err.push(s), stdoutIsTty: false, clock: () => 0 });

  it('exits 3 when Prometheus cannot be reached, and names the cause', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const err: string[] = [];
    expect(await runCli(['audit', '--prometheus.url', `http://127.0.0.1:${port}`], quiet(err))).toBe(3);
    expect(err.join('')).toContain(`--prometheus.url http://127.0.0.1:${port}: connection refused`);
    err.length = 0;
    expect(await runCli(['audit', '--prometheus.url', 'http://no-such-host.invalid:9090'], quiet(err))).toBe(3);
    expect(err.join('')).toContain('DNS: the host name does not resolve');
  });

  it('names the HTTP status of an answer that is not Prometheus\'', async () => {
    const server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html>not found</html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const err: string[] = [];
      const { port } = server.address() as AddressInfo;
      expect(await runCli(['audit', '--prometheus.url', `http://127.0.0.1:${port}/graph`], quiet(err))).toBe(3);
      expect(err.join('')).toContain('HTTP 404 Not Found: not a Prometheus API answer');
    } finally {
      server.close();
    }
  });

  it('takes a URL without a scheme for a usage error (exit 2)', async () => {
    const err: string[] = [];
    expect(await runCli(['audit', '--prometheus.url', 'prometheus:9090'], quiet(err))).toBe(2);
    expect(err.join('')).toContain('expected an http:// or https:// URL');
  });
});
