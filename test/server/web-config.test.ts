/** --web.config.file with a real certificate (openssl) and a real htpasswd -B hash, over real sockets. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { runServeCommand } from '../../src/cli/serve-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { serveOptions } from '../helpers/serve-options.js';
import { BIN } from '../helpers/run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'kre-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = new URL('../fixtures/quota-full/', import.meta.url).pathname;

function get(url: string, opts: { ca?: Buffer; auth?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = opts.auth !== undefined ? { Authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {};
    const req = (url.startsWith('https') ? httpsGet : httpGet)(url, { headers, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

async function serve(webConfig: string): Promise<{ port: number; stop: () => Promise<number>; err: string[] }> {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let port = 0;
  const err: string[] = [];
  const io: CliIo = { stdout: () => undefined, stderr: (s) => void err.push(s), stdoutIsTty: false, clock: () => 1_800_000_000 };
  const done = runServeCommand(
    serveOptions(fixture, { webConfigFile: webConfig, onListening: (a) => void (port = a[0]?.port ?? 0), stop: stopped }),
    io,
  );
  for (let i = 0; i < 100 && port === 0; i++) {
    if (await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))])) break;
  }
  return { port, stop: () => (stop(), done), err };
}

const tools = itWith([hasCommand('openssl'), hasCommand('htpasswd')]);

describe('--web.config.file', () => {
  tools('serves only HTTPS with the certificate, and asks for basic auth checked against a bcrypt hash', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    expect(ssl.status, ssl.stderr).toBe(0);
    const hash = spawnSync('htpasswd', ['-nbBC', '10', 'prom', 's3cret'], { encoding: 'utf8' }).stdout.trim().split(':')[1] as string;
    const web = join(dir, 'web.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\nbasic_auth_users:\n  prom: '${hash}'\n`);
    const s = await serve(web);
    try {
      expect(s.port, s.err.join('')).toBeGreaterThan(0);
      const ca = readFileSync(cert);
      const url = `https://127.0.0.1:${s.port}/metrics`;
      const none = await get(url, { ca });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toContain('Basic');
      expect((await get(url, { ca, auth: 'prom:wrong' })).status).toBe(401);
      expect((await get(url, { ca, auth: 'nobody:s3cret' })).status).toBe(401);
      const ok = await get(url, { ca, auth: 'prom:s3cret' });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('keyring_user_quota_keys{uid="40110"} 200');
      // Kubernetes probes carry no credentials: the health endpoints answer without them (they tell nothing
      // but that the process is up); the landing page and everything else do not.
      for (const probe of ['/-/healthy', '/-/ready', '/-/Healthy', '/-/ready/']) expect((await get(`https://127.0.0.1:${s.port}${probe}`, { ca })).status, probe).toBe(200);
      for (const path of ['/', '/audit', '/-/healthy/../../metrics', '/metrics?x=/-/ready']) expect((await get(`https://127.0.0.1:${s.port}${path}`, { ca })).status, path).toBe(401);
      // Plain HTTP is not served on a TLS listener.
      const plain = await get(`http://127.0.0.1:${s.port}/metrics`, {}).then(
        (r) => r.status,
        () => 'refused',
      );
      expect(plain).not.toBe(200);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  tools('a flood of wrong passwords stalls neither the probes nor a scraper with good credentials, and costs at most --web.max-requests checks', async () => {
    const hash = spawnSync('htpasswd', ['-nbBC', '10', 'prom', 's3cret'], { encoding: 'utf8' }).stdout.trim().split(':')[1] as string;
    const web = join(dir, 'flood.yml');
    writeFileSync(web, `basic_auth_users:\n  prom: '${hash}'\n`);
    const s = await serve(web);
    try {
      const base = `http://127.0.0.1:${s.port}`;
      // Paid once: remembered afterwards, as exporter-toolkit remembers it.
      expect((await get(`${base}/metrics`, { auth: 'prom:s3cret' })).status).toBe(200);
      // 60 wrong passwords at once, above the limit (40): bcrypt at cost 10 is tens of ms each, one at a time.
      const order: string[] = [];
      const flood = Array.from({ length: 60 }, (_, i) => get(`${base}/metrics`, { auth: `prom:wrong${i}` }).then((r) => (order.push('wrong'), r.status)));
      await new Promise((r) => setTimeout(r, 50));
      const health = get(`${base}/-/healthy`, {}).then((r) => (order.push('healthy'), r.status));
      const scrape = get(`${base}/metrics`, { auth: 'prom:s3cret' }).then((r) => (order.push('scrape'), r.status));
      expect(await health).toBe(200);
      const statuses = await Promise.all(flood);
      // Beyond the limit, answered at once without a bcrypt check; the others wait for theirs.
      expect(statuses.filter((x) => x === 503).length).toBeGreaterThanOrEqual(20);
      expect(statuses.filter((x) => x !== 503).every((x) => x === 401)).toBe(true);
      // The probe answered while the checks were still queued: before the last wrong password was refused.
      expect(order.indexOf('healthy')).toBeLessThan(order.lastIndexOf('wrong'));
      // Served (its check remembered) or refused by the limit, without waiting for the queued checks either way.
      expect([200, 503]).toContain(await scrape);
      expect(order.indexOf('scrape')).toBeLessThan(order.lastIndexOf('wrong'));
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  tools('serves a certificate replaced in place without a SIGHUP, and says whether the last reload succeeded', async () => {
    const cert = join(dir, 'rot.pem');
    const key = join(dir, 'rot.key');
    const make = (cn: string): void => {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', `${key}.new`, '-out', `${cert}.new`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    make('first');
    writeFileSync(cert, readFileSync(`${cert}.new`));
    writeFileSync(key, readFileSync(`${key}.new`));
    const web = join(dir, 'rot.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`);
    const s = await serve(web);
    const { connect } = await import('node:tls');
    const subject = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port: s.port, rejectUnauthorized: false }, () => {
          resolve(String(c.getPeerCertificate().subject.CN));
          c.end();
        });
        c.on('error', reject);
      });
    /** The certificate being served, to verify the scrape's connection with. */
    let served = readFileSync(cert);
    const metric = async (name: string): Promise<string | undefined> => {
      const body = (await get(`https://127.0.0.1:${s.port}/metrics`, { ca: served })).body;
      return new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1];
    };
    try {
      expect(await subject()).toBe('first');
      // Replaced in place, key first then certificate, as a renewal writes them: no SIGHUP.
      make('second');
      writeFileSync(key, readFileSync(`${key}.new`));
      writeFileSync(cert, readFileSync(`${cert}.new`));
      let now = '';
      for (let i = 0; i < 60 && now !== 'second'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        now = await subject();
      }
      expect(now).toBe('second');
      served = readFileSync(cert);
      expect(await metric('keyring_exporter_web_config_last_reload_successful')).toBe('1');
      // A broken certificate: the previous one stays, and the metric says the reload failed.
      writeFileSync(cert, 'not a certificate\n');
      let ok: string | undefined = '1';
      for (let i = 0; i < 60 && ok !== '0'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ok = await metric('keyring_exporter_web_config_last_reload_successful');
      }
      expect(ok).toBe('0');
      expect(await subject()).toBe('second');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  tools('rejects an invalid web configuration at start, naming the field', async () => {
    const web = join(dir, 'bad.yml');
    writeFileSync(web, 'basic_auth_users:\n  prom: not-a-bcrypt-hash\ntls_server_config:\n  cert_file: /nonexistent\n');
    const s = await serve(web);
    expect(await s.stop()).toBe(2);
    expect(s.err.join('')).toMatch(/--web\.config\.file .*bad\.yml: .*(basic_auth_users\/prom|key_file)/);
  });
});

describe('--web.config.file: client certificates', () => {
  tools('RequireAndVerifyClientCert admits a client signed by client_ca_file and refuses one without', async () => {
    const run = (args: string[]): void => {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    const p = (f: string): string => join(dir, f);
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', p('ca.key'), '-out', p('ca.pem')]);
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', p('srv.key'), '-out', p('srv.pem')]);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=prometheus', '-keyout', p('cli.key'), '-out', p('cli.csr')]);
    run(['x509', '-req', '-in', p('cli.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p('cli.pem')]);
    writeFileSync(p('mtls.yml'), `tls_server_config:\n  cert_file: ${p('srv.pem')}\n  key_file: ${p('srv.key')}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${p('ca.pem')}\n  min_version: TLS12\n`);
    const s = await serve(p('mtls.yml'));
    try {
      const fetchWith = (cert?: string, key?: string): Promise<number | string> =>
        new Promise((resolve) => {
          const req = httpsGet(
            `https://127.0.0.1:${s.port}/metrics`,
            { ca: readFileSync(p('srv.pem')), ...(cert !== undefined && key !== undefined ? { cert: readFileSync(cert), key: readFileSync(key) } : {}) },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', () => resolve('refused'));
        });
      expect(await fetchWith(p('cli.pem'), p('cli.key'))).toBe(200);
      expect(await fetchWith()).toBe('refused');
      // A client certificate from another CA is refused too.
      expect(await fetchWith(p('srv.pem'), p('srv.key'))).toBe('refused');
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});

describe('serve as an unprivileged user', () => {
  itWith([isRoot(), hasCommand('setpriv')])('logs the uid it runs as and the visibility caveat', async () => {
    const bin = BIN;
    const r = spawnSync('bash', ['-c', `setpriv --reuid=40698 --regid=40698 --clear-groups ${bin} --web.listen-address 127.0.0.1:0 & pid=$!; sleep 2; kill -TERM $pid; wait $pid`], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toMatch(/msg="starting keyring-exporter" .*uid=40698/);
    expect(r.stderr).toMatch(/level=WARN source=\S+ msg="not running as root: \/proc\/keys shows only the keys this uid may view"/);
    expect(r.stderr).toContain('msg="shutting down" reason=SIGTERM');
  });
});
