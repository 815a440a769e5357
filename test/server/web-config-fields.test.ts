/**
 * Every field of exporter-toolkit's web configuration (docs/web-configuration.md there) is accepted, and applied
 * where Node.js can: inline certificates, client certificate policies and allowed SANs, cipher suites and curves,
 * headers, a rate limit. What Node cannot do (HTTP/2 here) is said once at start. Real certificates (openssl),
 * real sockets.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runServeCommand } from '../../src/cli/serve-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { goDurationMs, loadWebConfig, subjectAltNames } from '../../src/server/web-config.js';
import { hasCommand, itWith } from '../helpers/prerequisites.js';
import { serveOptions } from '../helpers/serve-options.js';

const dir = mkdtempSync(join(tmpdir(), 'kre-webfields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = new URL('../fixtures/quota-full/', import.meta.url).pathname;
const tools = itWith([hasCommand('openssl')]);

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
}

/** A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate with `san` signed by it. */
function pki(): { ca: string; serverCert: string; serverKey: string; client: (name: string, san: string) => { cert: Buffer; key: Buffer } } {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=server', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', 'server.key', '-out', 'server.pem');
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    serverCert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
    client: (name, san) => {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
      return { cert: readFileSync(join(dir, `${name}.pem`)), key: readFileSync(join(dir, `${name}.key`)) };
    },
  };
}

async function serve(web: object): Promise<{ port: number; err: string; stop: () => Promise<number> }> {
  const file = join(dir, `web-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify(web));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let port = 0;
  const s = { port: 0, err: '', stop: async () => (stop(), done) };
  const io: CliIo = { stdout: () => undefined, stderr: (t) => void (s.err += t), stdoutIsTty: false, clock: () => 1_800_000_000 };
  const done = runServeCommand(serveOptions(fixture, { webConfigFile: file, logLevel: 'warn', onListening: (a) => void (port = a[0]?.port ?? 0), stop: stopped }), io);
  for (let i = 0; i < 200 && port === 0; i++) {
    if (await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))])) break;
  }
  s.port = port;
  return s;
}

/** GET over HTTPS with an optional client certificate: the status, or why the connection failed. */
function getTls(port: number, path: string, ca: string, client?: { cert: Buffer; key: Buffer }): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, ...(client ?? {}), agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('--web.config.file: every exporter-toolkit field', () => {
  tools('accepts a file that uses them all, inline certificates included, and says what Node.js cannot apply', async () => {
    const p = pki();
    const web = {
      tls_server_config: {
        cert: p.serverCert,
        key: p.serverKey,
        client_ca: p.ca,
        client_auth_type: 'RequireAndVerifyClientCert',
        client_allowed_sans: ['allowed.example'],
        min_version: 'TLS12',
        max_version: 'TLS13',
        cipher_suites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256'],
        prefer_server_cipher_suites: true,
        curve_preferences: ['X25519', 'CurveP256'],
      },
      http_server_config: {
        http2: true,
        headers: {
          'Content-Security-Policy': "default-src 'none'",
          'X-Frame-Options': 'deny',
          'X-Content-Type-Options': 'nosniff',
          'X-XSS-Protection': '1; mode=block',
          'Strict-Transport-Security': 'max-age=31536000',
        },
      },
      basic_auth_users: { prom: '$2y$10$rLianoOy5kJZCnbyTBojoOT3WqtkQmIMgSrpdOf2ozhLrgYBwf6qO' },
      rate_limit: { interval: '100ms', burst: 50 },
    };
    const file = join(dir, 'all.yml');
    writeFileSync(file, stringify(web));
    const loaded = await loadWebConfig(file);
    expect(loaded.tls).toMatchObject({ ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384', ecdhCurve: 'X25519:P-256', honorCipherOrder: true, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(loaded.rateLimit).toEqual({ intervalMs: 100, burst: 50 });
    expect(loaded.notApplied).toEqual([
      'tls_server_config.cipher_suites: TLS 1.3 suites are not chosen by a configuration (as in Go); those listed are ignored',
      'http_server_config.http2: HTTP/2 is not served; HTTP/1.1 only',
    ]);
    const s = await serve(web);
    try {
      expect(s.port, s.err).toBeGreaterThan(0);
      expect(s.err).toContain('msg="web configuration: not applied" what="http_server_config.http2: HTTP/2 is not served; HTTP/1.1 only"');
      expect((s.err.match(/not applied/g) ?? []).length).toBe(2);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  tools('client certificates: client_allowed_sans admits only those SANs, RequireAnyClientCert refuses a client without one', async () => {
    const p = pki();
    const allowed = p.client('allowed', 'DNS:allowed.example');
    const other = p.client('other', 'DNS:other.example');
    const s = await serve({ tls_server_config: { cert: p.serverCert, key: p.serverKey, client_ca: p.ca, client_auth_type: 'RequireAndVerifyClientCert', client_allowed_sans: ['allowed.example'] } });
    try {
      expect(await getTls(s.port, '/metrics', p.serverCert, allowed)).toBe(200);
      expect(await getTls(s.port, '/metrics', p.serverCert, other)).not.toBe(200);
      expect(await getTls(s.port, '/metrics', p.serverCert)).not.toBe(200);
    } finally {
      expect(await s.stop()).toBe(0);
    }
    // Any certificate, verified or not, but one: Node asks for it without requiring it.
    const any = await serve({ tls_server_config: { cert: p.serverCert, key: p.serverKey, client_auth_type: 'RequireAnyClientCert' } });
    try {
      expect(await getTls(any.port, '/metrics', p.serverCert, other)).toBe(200);
      expect(await getTls(any.port, '/metrics', p.serverCert)).not.toBe(200);
    } finally {
      expect(await any.stop()).toBe(0);
    }
    // Verified if given: an unverifiable one is refused, none is let in.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=stranger', '-keyout', 'stranger.key', '-out', 'stranger.pem');
    const stranger = { cert: readFileSync(join(dir, 'stranger.pem')), key: readFileSync(join(dir, 'stranger.key')) };
    const ifGiven = await serve({ tls_server_config: { cert: p.serverCert, key: p.serverKey, client_ca: p.ca, client_auth_type: 'VerifyClientCertIfGiven' } });
    try {
      expect(await getTls(ifGiven.port, '/metrics', p.serverCert)).toBe(200);
      expect(await getTls(ifGiven.port, '/metrics', p.serverCert, allowed)).toBe(200);
      expect(await getTls(ifGiven.port, '/metrics', p.serverCert, stranger)).not.toBe(200);
    } finally {
      expect(await ifGiven.stop()).toBe(0);
    }
  });

  it('rate_limit: a token bucket in front of every path but the probes, 429 beyond it; the headers on every response', async () => {
    const s = await serve({ rate_limit: { interval: '10s', burst: 2 }, http_server_config: { headers: { 'X-Frame-Options': 'deny' } } });
    const get = (path: string): Promise<{ status: number; frame: string | undefined }> =>
      new Promise((resolve, reject) => httpGet(`http://127.0.0.1:${s.port}${path}`, (res) => (res.resume(), resolve({ status: res.statusCode ?? 0, frame: res.headers['x-frame-options'] as string | undefined }))).on('error', reject));
    try {
      expect((await get('/metrics')).status).toBe(200);
      expect((await get('/metrics')).status).toBe(200);
      expect(await get('/metrics')).toEqual({ status: 429, frame: 'deny' });
      expect(await get('/-/healthy')).toEqual({ status: 200, frame: 'deny' });
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  it("reads a certificate's Subject Alternative Names as Node writes them: a quoted name is one name, whatever it holds", () => {
    expect(subjectAltNames('DNS:a.example, IP Address:1.2.3.4, IP Address:0:0:0:0:0:0:0:1, email:x@y, URI:spiffe://t/w')).toEqual([
      'a.example',
      '1.2.3.4',
      '0:0:0:0:0:0:0:1',
      'x@y',
      'spiffe://t/w',
    ]);
    // A name that smuggles ", DNS:allowed.example" into itself: Node quotes it, and it is never allowed.example.
    expect(subjectAltNames('DNS:"evil, DNS:allowed.example, b", DNS:ok')).toEqual(['evil, DNS:allowed.example, b', 'ok']);
    expect(subjectAltNames('DNS:"a\\"b", DNS:c')).toEqual(['a"b', 'c']);
    expect(subjectAltNames(undefined)).toEqual([]);
    expect(subjectAltNames('DNS:"unterminated, DNS:allowed.example')).toEqual([]);
  });

  it('reads Go durations and rejects what exporter-toolkit rejects', async () => {
    expect(goDurationMs('1m30s')).toBe(90_000);
    expect(goDurationMs('250ms')).toBe(250);
    for (const [bad, field] of [
      [{ http_server_config: { headers: { 'X-Frame-Options': 'allow' } } }, 'X-Frame-Options'],
      [{ http_server_config: { headers: { 'X-Powered-By': 'me' } } }, 'X-Powered-By'],
      [{ tls_server_config: { cert: 'x', cert_file: 'y', key_file: 'z' } }, 'tls_server_config'],
      [{ tls_server_config: { cert_file: 'y', key_file: 'z', client_allowed_sans: ['a'] } }, 'client_allowed_sans'],
      [{ rate_limit: { interval: 'soon', burst: 1 } }, 'interval'],
    ] as const) {
      const file = join(dir, 'bad.yml');
      writeFileSync(file, stringify(bad));
      await expect(loadWebConfig(file), JSON.stringify(bad)).rejects.toThrow(field);
    }
  });
});
