/**
 * End to end against a real Prometheus (Debian's package): six exporters serve six captured hosts, a user at
 * its key quota (quota-full), a host with persistent keyrings (persistent), one with dns_resolver entries among
 * every key type (key-types), one whose dns_resolver cache holds 21 failed lookups and an answer that never
 * expires (upcall-caches), one with a uid's Kerberos caches from a real KDC (kerberos), and a host whose trust store holds a certificate its saved baseline does not, and one
 * its configuration distrusts (trust-store). Prometheus scrapes them with the shipped rules. Then every dashboard query returns data, and the alerts those hosts should
 * trigger are pending or firing while the others are not.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runServeCommand } from '../../src/cli/serve-command.js';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { hasCommand, itWith } from '../helpers/prerequisites.js';
import { serveOptions } from '../helpers/serve-options.js';
import { freePort, until } from '../helpers/waiting.js';
import { COLLECTORS } from '../../src/collector/metric-families.js';

const withPrometheus = itWith([hasCommand('prometheus'), hasCommand('promtool')]);
const HOSTS = ['quota-full', 'persistent', 'key-types', 'upcall-caches', 'kerberos', 'trust-store'];

/**
 * Three hours of the trust-store host's past, ending half an hour ago, written into Prometheus' storage before it
 * starts (promtool tsdb create-blocks-from openmetrics): its _ima keyring held only "Fixture IMA Signing Key" and
 * its blacklist 3 entries. The alerts that compare with an hour ago then see a certificate added and a blacklist
 * that shrank.
 */
function backfillTrustStoreHistory(storage: string, instance: string): void {
  const answers = JSON.parse(readFileSync(join(fixture('trust-store'), 'keyring-exporter-answers.json'), 'utf8')) as { answers: { description?: string }[] };
  const keyId = answers.answers.map((a) => a.description ?? '').find((d) => d.startsWith('Fixture IMA Signing Key: '))?.split(': ')[1] ?? '';
  const target = `job="keyring-exporter",instance="${instance}"`;
  const now = Math.floor(Date.now() / 1000);
  const times = Array.from({ length: 150 }, (_, i) => now - 3 * 3600 + i * 60);
  const family = (name: string, labels: string, value: number): string[] => [`# TYPE ${name} gauge`, ...times.map((t) => `${name}{${target},${labels}} ${value} ${t}`)];
  const text = [
    ...family('keyring_trust_store_certificate_info', `keyring="_ima",subject="Fixture IMA Signing Key",key_id="${keyId}",algorithm="X509.rsa"`, 1),
    ...family('keyring_trust_store_certificates', 'keyring="_ima",role="files"', 1),
    ...family('keyring_trust_store_keys', 'keyring=".blacklist",role="blacklist"', 3),
    '# EOF',
    '',
  ].join('\n');
  const file = join(storage, '..', 'backfill.om');
  writeFileSync(file, text);
  const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, storage], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`promtool tsdb create-blocks-from: ${r.stderr}`);
}
const fixture = (name: string): string => new URL(`../fixtures/${name}/`, import.meta.url).pathname;
const rules = new URL('../../rules/keyring-exporter.rules.yml', import.meta.url).pathname;
const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/keyring-exporter-overview.json', import.meta.url), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => Date.now() / 1000 };

describe('against a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kre-e2e-'));
  const stops: (() => void)[] = [];
  const done: Promise<number>[] = [];
  let prom: ChildProcess | null = null;
  let api = '';
  let dead = '';
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    if (!hasCommand('prometheus').ok || !hasCommand('promtool').ok) return;
    // The trust-store host's baseline: its own trust store, saved, without one of its certificates.
    const baseline = join(dir, 'trust-store.json');
    expect(await runCli(['trust-store', '--path.procfs', fixture('trust-store'), '--save', baseline], io)).toBe(0);
    const saved = JSON.parse(readFileSync(baseline, 'utf8')) as { keyrings: { name: string; certificates: { subject: string }[] }[] };
    for (const k of saved.keyrings) k.certificates = k.certificates.filter((c) => c.subject !== 'Fixture Second IMA Key');
    writeFileSync(baseline, JSON.stringify(saved));
    writeFileSync(join(dir, 'audit.yaml'), 'trust_store:\n  baseline: trust-store.json\n  distrusted:\n    - subject: Fixture EVM Key\n      reason: expired\n');
    for (const host of HOSTS) {
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      stops.push(stop);
      // The captures of text alone cannot say what the kernel's keyrings hold: their trust_store collector is off.
      const options =
        host === 'trust-store'
          ? { configFile: join(dir, 'audit.yaml') }
          : host === 'upcall-caches' || host === 'kerberos'
            ? {}
            : { enabled: new Set(COLLECTORS.filter((c) => c !== 'trust_store')) };
      done.push(runServeCommand(serveOptions(fixture(host), { ...options, onListening: (a) => void (ports[host] = a[0]?.port ?? 0), stop: stopped }), io));
    }
    await until('the exporters', async () => (Object.keys(ports).length === HOSTS.length ? true : undefined));
    backfillTrustStoreHistory(join(dir, 'data'), `127.0.0.1:${ports['trust-store']}`);
    const promPort = await freePort();
    dead = `127.0.0.1:${await freePort()}`; // a target where no exporter answers
    api = `http://127.0.0.1:${promPort}/api/v1`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [${rules}]\nscrape_configs:\n  - job_name: keyring-exporter\n    static_configs:\n      - targets: [${HOSTS.map((h) => `'127.0.0.1:${ports[h]}'`).join(', ')}, '${dead}']\n`,
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
    // Every target scraped, and the rules evaluated at least a few times.
    await until('every target up', async () => {
      const r = (await (await fetch(`${api}/query?query=${encodeURIComponent('sum(up{job="keyring-exporter"})')}`)).json()) as any;
      return Number(r.data?.result?.[0]?.value?.[1] ?? 0) === HOSTS.length ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 4000));
  }, 120_000);

  afterAll(async () => {
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom === null ? r(undefined) : prom.once('exit', r)));
    stops.forEach((s) => s());
    await Promise.all(done);
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (q: string): Promise<any[]> => {
    const r = (await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json()) as any;
    if (r.status !== 'success') throw new Error(`${q}: ${r.error}`);
    return r.data.result;
  };

  withPrometheus('every dashboard query returns data for the hosts', async () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr.replace(/\$job/g, 'keyring-exporter').replace(/\$instance/g, '.+'));
    expect(exprs.length).toBeGreaterThan(10);
    for (const e of exprs) expect((await query(e)).length, e).toBeGreaterThan(0);
  }, 60_000);

  withPrometheus('the alerts the hosts should trigger are pending or firing, the others are not', async () => {
    const alerts = await until('the alerts', async () => {
      const r = (await (await fetch(`${api}/alerts`)).json()) as any;
      const list = r.data.alerts as { labels: Record<string, string>; state: string }[];
      return list.some((a) => a.labels['alertname'] === 'KeyringUserKeyQuotaExhausted') ? list : undefined;
    });
    const active = alerts.map((a) => `${a.labels['alertname']} ${a.labels['uid'] ?? a.labels['check'] ?? ''} ${a.state}`).sort();
    const quotaFull = `127.0.0.1:${ports['quota-full']}`;
    const trustStore = `127.0.0.1:${ports['trust-store']}`;
    // uid 40110 is at 200/200 keys: exhausted (for 2m, so pending this early); its finding is critical at once.
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringUserKeyQuotaExhausted')?.labels).toMatchObject({ uid: '40110', instance: quotaFull, severity: 'critical' });
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringCriticalAuditFinding' && a.labels['instance'] === quotaFull)).toMatchObject({ labels: { check: 'quota_keys_near_limit' }, state: 'firing' });
    // The certificate the baseline does not hold is critical; the distrusted one a warning of its own alert.
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringCriticalAuditFinding' && a.labels['instance'] === trustStore)).toMatchObject({ labels: { check: 'trust_store_drift' }, state: 'firing' });
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringTrustStoreChanged')).toMatchObject({ labels: { check: 'distrusted_certificate', instance: trustStore, severity: 'warning' }, state: 'firing' });
    // Against the hour-old history written before Prometheus started: the certificate added since fires, the one
    // there then and the _evm certificate (its keyring had no history) do not; the blacklist shrank.
    expect(alerts.filter((a) => a.labels['alertname'] === 'KeyringTrustStoreCertificateAdded').map((a) => [a.labels['instance'], a.labels['keyring'], a.labels['subject'], a.state])).toEqual([
      [trustStore, '_ima', 'Fixture Second IMA Key', 'firing'],
    ]);
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringTrustStoreBlacklistShrank')).toMatchObject({ labels: { keyring: '.blacklist', instance: trustStore }, state: 'firing' });
    // The dns_resolver cache: 21 failed lookups (for 15m) and an answer that never expires (for 1h), pending.
    const upcall = `127.0.0.1:${ports['upcall-caches']}`;
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringUpcallFailuresPilingUp')).toMatchObject({ labels: { type: 'dns_resolver', instance: upcall }, state: 'pending' });
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringUpcallEntriesNeverExpire')).toMatchObject({ labels: { type: 'dns_resolver', instance: upcall }, state: 'pending' });
    // The KDC's TGTs had 9 minutes left when captured (for 5m, so pending).
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringKerberosTgtExpiring')).toMatchObject({ labels: { uid: '40113', instance: `127.0.0.1:${ports['kerberos']}` }, state: 'pending' });
    // The dead target: KeyringExporterDown (for 5m, so pending). Nothing else: the persistent keyrings have days
    // left, every collector reads.
    expect(alerts.find((a) => a.labels['alertname'] === 'KeyringExporterDown')).toMatchObject({ labels: { instance: dead }, state: 'pending' });
    expect(active.map((a) => a.split(' ')[0])).toEqual([
      'KeyringCriticalAuditFinding',
      'KeyringCriticalAuditFinding',
      'KeyringExporterDown',
      'KeyringKerberosTgtExpiring',
      'KeyringTrustStoreBlacklistShrank',
      'KeyringTrustStoreCertificateAdded',
      'KeyringTrustStoreChanged',
      'KeyringUpcallEntriesNeverExpire',
      'KeyringUpcallFailuresPilingUp',
      'KeyringUserKeyQuotaExhausted',
    ]);
  }, 60_000);

  withPrometheus('the fleet audit reads the fleet from Prometheus', async () => {
    const out: string[] = [];
    const cli: CliIo = { ...io, stdout: (t) => void out.push(t) };
    const code = await runCli(['audit', '--prometheus.url', api.replace(/\/api\/v1$/, ''), '--format', 'json'], cli);
    const report = JSON.parse(out.join(''));
    const schema = JSON.parse(readFileSync(new URL('../../docs/schemas/fleet-audit.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(code).toBe(1);
    expect(report.instances).toEqual({ total: 7, down: 1 });
    expect(report.findings).toContainEqual(expect.objectContaining({ check: 'trust_store_drift', severity: 'critical', instance: `127.0.0.1:${ports['trust-store']}` }));
    expect(report.findings).toContainEqual(expect.objectContaining({ check: 'quota_keys_near_limit', severity: 'critical', uid: 40110, instance: `127.0.0.1:${ports['quota-full']}` }));
    expect(report.findings).toContainEqual(expect.objectContaining({ check: 'exporter_down', instance: dead }));
    expect(report.findings.filter((f: any) => f.instance === `127.0.0.1:${ports['persistent']}` && f.severity !== 'info')).toEqual([]);
    const text: string[] = [];
    await runCli(['audit', '--prometheus.url', api.replace(/\/api\/v1$/, '')], { ...io, stdout: (t) => void text.push(t) });
    expect(text.join('')).toMatch(/fleet audit from .*: 7 instances, 1 down/);
  }, 60_000);
});
