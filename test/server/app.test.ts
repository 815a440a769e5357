import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import { COLLECTORS } from '../../src/collector/metric-families.js';
import { createApp } from '../../src/server/app.js';
import { createConfigReloader } from '../../src/server/config-reloader.js';
import { createLogger } from '../../src/server/logger.js';
import { createScraper } from '../../src/server/scraper.js';
import { runServeCommand } from '../../src/cli/serve-command.js';
import { parseListenAddress } from '../../src/cli/listen-address.js';
import type { CliIo } from '../../src/cli/io.js';
import type { Snapshot } from '../../src/parser/snapshot.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { serveOptions } from '../helpers/serve-options.js';
import { snapshotOf } from '../helpers/snapshot.js';
import { hasCommand, itWith } from '../helpers/prerequisites.js';

const fixture = new URL('../fixtures/quota-full/', import.meta.url).pathname;
const quiet = createLogger('error', 'logfmt', () => undefined);

function app(read: () => Promise<Snapshot> = () => readSnapshot(fixture), extra: Partial<Parameters<typeof createApp>[0]> = {}) {
  const scraper = createScraper(read);
  return {
    scraper,
    app: createApp({
      scraper,
      telemetryPath: '/metrics',
      maxRequests: 40,
      enabled: new Set(COLLECTORS),
      maxUids: 100,
      auditConfig: () => DEFAULT_AUDIT_CONFIG,
      version: '0.0.0-test',
      revision: 'test',
      logger: quiet,
      exporterMetrics: true,
      procRoot: fixture,
      configReload: () => ({ successful: true, lastSuccess: 1_800_000_000 }),
      auditEndpoint: false,
      ...extra,
    }),
  };
}


/** An app whose reads wait until release() is called: for what happens while a read is in flight. */
function gatedApp(extra: Partial<Parameters<typeof createApp>[0]> = {}) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return {
    ...app(async () => {
      await gate;
      return readSnapshot(fixture);
    }, extra),
    release: () => release(),
  };
}

describe('serve: HTTP', () => {
  it('serves the Prometheus text format with the keyring metrics and the process metrics', async () => {
    const res = await request(app().app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(res.text).toContain('keyring_user_quota_keys{uid="40110"} 200');
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  it('serves OpenMetrics when the scraper asks for it', async () => {
    const res = await request(app().app).get('/metrics').set('Accept', 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5');
    expect(res.headers['content-type']).toContain('application/openmetrics-text');
    expect(res.text.trimEnd().endsWith('# EOF')).toBe(true);
    expect(res.text).toContain('keyring_user_quota_keys{uid="40110"} 200');
  });

  it('has a landing page, /-/healthy, /-/ready and a 404', async () => {
    const a = app().app;
    const home = await request(a).get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('<a href="/metrics">Metrics</a>');
    expect((await request(a).get('/-/healthy')).text).toBe('Healthy\n');
    expect((await request(a).get('/-/ready')).text).toBe('Ready\n');
    expect((await request(a).get('/nope')).status).toBe(404);
  });

  it('concurrent scrapes share the read in flight', async () => {
    const { app: a, scraper, release } = gatedApp();
    const scrapes = Array.from({ length: 8 }, () => request(a).get('/metrics').then((r) => r.status));
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await Promise.all(scrapes)).toEqual(Array(8).fill(200));
    expect(scraper.reads).toBe(1);
    const next = await request(a).get('/metrics');
    expect(scraper.reads).toBe(2); // nothing is cached once the read is done
    // The count is exported, as of the scrape that reads it.
    expect(next.text).toMatch(/^keyring_exporter_reads_total 2$/m);
  });

  it('a text and an OpenMetrics scrape in flight together share one read, each in its own format', async () => {
    const { app: a, scraper, release } = gatedApp();
    const text = request(a).get('/metrics');
    const om = request(a).get('/metrics').set('Accept', 'application/openmetrics-text;version=1.0.0');
    const both = Promise.all([text, om]);
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [t, o] = await both;
    expect(scraper.reads).toBe(1);
    expect(t.headers['content-type']).toMatch(/^text\/plain/);
    expect(o.headers['content-type']).toMatch(/^application\/openmetrics-text/);
    expect(o.text.endsWith('# EOF\n')).toBe(true);
    expect(t.text).not.toContain('# EOF');
  });

  it('keeps no series from one scrape to the next: a uid that vanished is not exported', async () => {
    const reads = [snapshotOf(undefined, '40001:     1 1/1 1/200 10/20000\n'), snapshotOf(undefined, '40002:     1 1/1 1/200 10/20000\n')];
    const { app: a } = app(() => Promise.resolve(reads.shift() as Snapshot));
    expect((await request(a).get('/metrics')).text).toContain('keyring_user_keys{uid="40001"} 1');
    const second = (await request(a).get('/metrics')).text;
    expect(second).not.toContain('uid="40001"');
    expect(second).toContain('keyring_user_keys{uid="40002"} 1');
  });

  it('writes each format from the same metrics: counters keep _total in the text format after an OpenMetrics scrape', async () => {
    const a = app().app;
    const om = await request(a).get('/metrics').set('Accept', 'application/openmetrics-text;version=1.0.0');
    expect(om.text).toMatch(/^# TYPE keyring_exporter_reads counter\nkeyring_exporter_reads_total 1$/m);
    const text = await request(a).get('/metrics');
    expect(text.text).toMatch(/^keyring_exporter_reads_total 2$/m);
    expect(text.text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('serves HEAD and a trailing slash at the telemetry path as app.get() did, and nothing else there', async () => {
    const a = app().app;
    const head = await request(a).head('/metrics');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect((await request(a).get('/metrics/')).text).toContain('keyring_users 2');
    expect((await request(a).post('/metrics')).status).toBe(404);
  });

  it('answers 503 beyond --web.max-requests', async () => {
    const { app: a, release } = gatedApp({ maxRequests: 1 });
    const first = request(a).get('/metrics');
    const firstDone = first.then((r) => r.status);
    await new Promise((r) => setTimeout(r, 50));
    const second = await request(a).get('/metrics');
    release();
    expect(second.status).toBe(503);
    expect(await firstDone).toBe(200);
  });
});

describe('serve: the command', () => {
  it.each([
    [':10142', { host: undefined, port: 10142 }],
    ['127.0.0.1:9999', { host: '127.0.0.1', port: 9999 }],
    ['[::1]:10142', { host: '::1', port: 10142 }],
    ['10142', null],
    [':70000', null],
  ])('parses --web.listen-address %j', (a, want) => expect(parseListenAddress(a)).toEqual(want));

  it('exits 1 with a clear message when the address is in use, as node_exporter does', async () => {
    const { createServer } = await import('node:net');
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    const address = `127.0.0.1:${(held.address() as { port: number }).port}`;
    let err = '';
    try {
      const io: CliIo = { stdout: () => undefined, stderr: (t) => void (err += t), stdoutIsTty: false, clock: () => 1_800_000_000 };
      expect(await runServeCommand(serveOptions(fixture, { listenAddresses: [address] }), io)).toBe(1);
    } finally {
      held.close();
    }
    expect(err).toContain(`level=ERROR`);
    expect(err).toContain(`msg="cannot listen on ${address}: the address is in use by another process" address=${address}`);
  });

  it('listens on a real socket, serves a scrape and stops cleanly', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let port = 0;
    const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => 1_800_000_000 };
    const done = runServeCommand(serveOptions(fixture, { onListening: (a) => { port = a[0]?.port ?? 0; }, stop: stopped }), io);
    for (let i = 0; i < 100 && port === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('keyring_users 2');
    stop();
    expect(await done).toBe(0);
  });
});

describe('logger', () => {
  it('escapes what a key description could do to a log line', () => {
    const lines: string[] = [];
    const log = createLogger('info', 'logfmt', (l) => lines.push(l), () => new Date(0));
    log.info('key seen', { description: 'evil\nlevel=error msg=forged' });
    log.debug('hidden');
    log.warn('quoted', { description: 'a\\" b=c \\' });
    // source: the file and line of the call.
    expect(lines.map((l) => l.replace(/ source=app\.test\.ts:\d+ /, ' source=app.test.ts:N '))).toEqual([
      String.raw`time=1970-01-01T00:00:00.000Z level=INFO source=app.test.ts:N msg="key seen" description="evil\nlevel=error msg=forged"` + '\n',
      // Backslashes and quotes escaped: the value can neither end early nor swallow the quote that ends it.
      String.raw`time=1970-01-01T00:00:00.000Z level=WARN source=app.test.ts:N msg=quoted description="a\\\" b=c \\"` + '\n',
    ]);
    const json: string[] = [];
    createLogger('debug', 'json', (l) => json.push(l), () => new Date(0)).debug('x', { a: 1 });
    expect(JSON.parse(json[0] as string)).toEqual({ time: '1970-01-01T00:00:00.000Z', level: 'DEBUG', source: expect.stringMatching(/^app\.test\.ts:\d+$/), msg: 'x', a: 1 });
  });

  it("writes Prometheus' keys in Prometheus' order: time, level, source, msg, then the fields", () => {
    const lines: string[] = [];
    createLogger('debug', 'logfmt', (l) => lines.push(l)).error('collector failed', { collector: 'keys' });
    expect(lines[0]).toMatch(/^time=\d{4}-\d\d-\d\dT[\d:.]+Z level=ERROR source=[\w.-]+\.ts:\d+ msg="collector failed" collector=keys\n$/);
  });
});

describe('serve: --web.enable-audit-endpoint', () => {
  it('is off by default, since the audit shows key descriptions', async () => {
    expect((await request(app().app).get('/audit')).status).toBe(404);
  });
  it('serves the audit JSON, without the keys, and the keys JSON when enabled', async () => {
    const a = app(undefined, { auditEndpoint: true }).app;
    const res = await request(a).get('/audit');
    expect(res.status).toBe(200);
    expect(res.body.audit.findings).toContainEqual(expect.objectContaining({ check: 'quota_keys_near_limit', uid: 40110 }));
    expect(res.body.keys).toBeUndefined();
    const keys = await request(a).get('/keys');
    expect(keys.status).toBe(200);
    expect(keys.body.keys.length).toBe(keys.body.summary.keys + keys.body.summary.suspect);
    expect((await request(app().app).get('/keys')).status).toBe(404);
  });
});

describe('serve: --config.file reload', () => {
  /** A configuration file in a folder of its own, with quota.warning_ratio 0.5. */
  const configFile = (): { file: string; remove: () => void } => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-reload-'));
    const file = join(dir, 'audit.yml');
    writeFileSync(file, 'quota:\n  warning_ratio: 0.5\n');
    return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it('reloads on change and on SIGHUP; an invalid file keeps the previous configuration', async () => {
    const { file, remove } = configFile();
    const errors: string[] = [];
    const logger = createLogger('info', 'logfmt', (l) => errors.push(l));
    let now = 1000;
    const r = createConfigReloader(file, logger, () => now);
    expect(await r.reload('start')).toBe(true);
    expect(r.config.quota.warningRatio).toBe(0.5);
    const stop = r.watch();
    try {
      await new Promise((res) => setTimeout(res, 300)); // let the watcher settle
      now = 2000;
      writeFileSync(file, 'quota:\n  warning_ratio: 0.6\n');
      for (let i = 0; i < 60 && r.config.quota.warningRatio !== 0.6; i++) await new Promise((res) => setTimeout(res, 50));
      expect(r.config.quota.warningRatio).toBe(0.6);
      expect(r.state).toEqual({ successful: true, lastSuccess: 2000 });

      now = 3000;
      writeFileSync(file, 'quota:\n  warning_ratio: lots\n');
      for (let i = 0; i < 60 && r.state.successful; i++) await new Promise((res) => setTimeout(res, 50));
      expect(r.state).toEqual({ successful: false, lastSuccess: 2000 });
      expect(r.config.quota.warningRatio).toBe(0.6); // never half applied, never dropped
      expect(errors.join('')).toContain('field=quota.warning_ratio');

      writeFileSync(file, 'quota:\n  warning_ratio: 0.7\n');
      process.emit('SIGHUP');
      for (let i = 0; i < 60 && r.config.quota.warningRatio !== 0.7; i++) await new Promise((res) => setTimeout(res, 50));
      expect(r.config.quota.warningRatio).toBe(0.7);
      expect(r.state.successful).toBe(true);
    } finally {
      await stop();
      remove();
    }
  });

  it('reads the file again when it changed after its read and before its watch began', async () => {
    const { file, remove } = configFile();
    const r = createConfigReloader(file, createLogger('error', 'logfmt', () => undefined), () => 1000);
    expect(await r.reload('start')).toBe(true);
    // Written at once, while the watcher is still scanning: it reports no change for it.
    writeFileSync(file, 'quota:\n  warning_ratio: 0.6\n');
    const stop = r.watch();
    try {
      for (let i = 0; i < 60 && r.config.quota.warningRatio !== 0.6; i++) await new Promise((res) => setTimeout(res, 50));
      expect(r.config.quota.warningRatio).toBe(0.6);
    } finally {
      await stop();
      remove();
    }
  });

  it('exports the reload state', async () => {
    const res = await request(app(undefined, { configReload: () => ({ successful: false, lastSuccess: 1234 }) }).app).get('/metrics');
    expect(res.text).toContain('keyring_exporter_config_last_reload_successful 0');
    expect(res.text).toContain('keyring_exporter_config_last_reload_success_timestamp_seconds 1234');
  });
});

describe('serve: SIGTERM while a scrape is in flight', () => {
  it('finishes the scrape, then stops', async () => {
    const { mkdirSync, readFileSync: read, createWriteStream } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    // A procfs folder whose keys file is a FIFO: each read blocks until the test writes it.
    const dir = mkdtempSync(join(tmpdir(), 'kre-term-'));
    mkdirSync(join(dir, 'sys/kernel/keys'), { recursive: true });
    for (const f of ['key-users', 'sys/kernel/keys/maxkeys']) writeFileSync(join(dir, f), read(join(fixture, f)));
    execFileSync('mkfifo', [join(dir, 'keys')]);
    const feed = (): void => void createWriteStream(join(dir, 'keys')).end(read(join(fixture, 'keys')));
    let port = 0;
    const lines: string[] = [];
    const io: CliIo = { stdout: () => undefined, stderr: (s) => void lines.push(s), stdoutIsTty: false, clock: () => 1_800_000_000 };
    feed(); // the read at start
    const done = runServeCommand(serveOptions(dir, { logLevel: 'info', onListening: (a) => void (port = a[0]?.port ?? 0) }), io);
    try {
      for (let i = 0; i < 100 && port === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const scrape = fetch(`http://127.0.0.1:${port}/metrics`).then(async (r) => [r.status, await r.text()] as const);
      await new Promise((r) => setTimeout(r, 100)); // the scrape now waits on the FIFO
      process.emit('SIGTERM'); // what the signal does: the exporter's handler runs
      await new Promise((r) => setTimeout(r, 50));
      feed();
      const [status, body] = await scrape;
      expect(status).toBe(200);
      expect(body).toContain('keyring_user_quota_keys{uid="40110"} 200');
      // The scraper's kept-alive connection is closed once idle, not waited for (fetch keeps it 4 s, Prometheus longer).
      expect(await Promise.race([done, new Promise((r) => setTimeout(() => r('still waiting on an idle connection'), 2000))])).toBe(0);
      const log = lines.join('');
      expect(log).toMatch(/msg="starting keyring-exporter" version=\S+ uid=\d+ procfs=\S+ view=self keys_visible=200 uids=2/);
      expect(log).toContain('msg="shutting down" reason=SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve: the exposition as served', () => {
  it('leaves out every family of a collector switched off (no HELP, no zero)', async () => {
    const res = await request(app(undefined, { enabled: new Set(COLLECTORS.filter((c) => c !== 'sysctl')) }).app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('keyring_sysctl_');
    expect(res.text).not.toContain('collector="sysctl"');
    expect(res.text).toMatch(/^keyring_users \d+$/m);
  });

  itWith([hasCommand('promtool')])('passes promtool check metrics, process metrics included', async () => {
    const { spawnSync } = await import('node:child_process');
    const res = await request(app().app).get('/metrics');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: res.text, encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(res.text).toContain('\nnodejs_active_handles{type=');
    expect(res.text).not.toMatch(/^nodejs_active_\w+_total/m);
    const ours = spawnSync('promtool', ['check', 'metrics'], { input: (await request(app(undefined, { exporterMetrics: false }).app).get('/metrics')).text, encoding: 'utf8' });
    expect(ours.status, ours.stdout + ours.stderr).toBe(0);
  });
});
