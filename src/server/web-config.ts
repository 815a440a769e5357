/**
 * --web.config.file: the exporter-toolkit web configuration (TLS, basic auth), as node_exporter reads it.
 * Validated against docs/schemas/web-config.schema.json; certificate files are read when loaded, so a reload
 * (file change or SIGHUP) picks up a rotated certificate without a restart.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import schema from '../../docs/schemas/web-config.schema.json' with { type: 'json' };

/** The schema's validator, compiled when a file is first loaded (ajv is not loaded without one). */
let compiled: Promise<import('ajv').ValidateFunction> | undefined;
function validator(): Promise<import('ajv').ValidateFunction> {
  compiled ??= import('ajv/dist/2020.js').then(({ Ajv2020 }) => new Ajv2020({ allErrors: true, strict: true }).compile(schema));
  return compiled;
}

export interface WebConfig {
  tls?: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean; minVersion: SecureVersion; maxVersion?: SecureVersion; honorCipherOrder: boolean };
  /** Why a client's TLS connection must be closed (client_auth_type, client_allowed_sans), or null. */
  checkClient?: (socket: TLSSocket) => string | null;
  /** user → bcrypt hash; undefined when basic auth is off. */
  users?: Map<string, string>;
  headers: Record<string, string>;
  /** rate_limit: a token comes back every `intervalMs`, `burst` at most. */
  rateLimit?: { intervalMs: number; burst: number };
  /** The file and the files it names (certificate, key, client CA): a change to any of them is a reload. */
  files: string[];
  /** What the file asks for that Node.js cannot do, one sentence each (logged at start). */
  notApplied: string[];
}

interface WebConfigFile {
  tls_server_config?: {
    cert?: string;
    key?: string;
    client_ca?: string;
    cert_file?: string;
    key_file?: string;
    client_auth_type?: string;
    client_ca_file?: string;
    client_allowed_sans?: string[];
    min_version?: string;
    max_version?: string;
    cipher_suites?: string[];
    prefer_server_cipher_suites?: boolean;
    curve_preferences?: string[];
  };
  basic_auth_users?: Record<string, string>;
  http_server_config?: { http2?: boolean; headers?: Record<string, string> };
  rate_limit?: { interval: string; burst: number };
}

const VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Go's cipher suite names (crypto/tls CipherSuites()) as OpenSSL names them; null for TLS 1.3's, which Go does not let a configuration choose either. */
const CIPHERS: Readonly<Record<string, string | null>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

/** Go's curve names (crypto/tls CurveID) as OpenSSL names them. */
const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519', X25519MLKEM768: 'X25519MLKEM768' };

/** Milliseconds of a Go duration ("1s", "1m30s", "250ms"). */
export function goDurationMs(d: string): number {
  const UNIT: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT[m[2] as string] as number);
  return ms;
}

/** Whether this Node.js' OpenSSL has the curve. */
function curveSupported(curve: string): boolean {
  try {
    createSecureContext({ ecdhCurve: curve });
    return true;
  } catch {
    return false;
  }
}

/**
 * The values of a peer certificate's Subject Alternative Names, as Node writes them ("DNS:a, IP Address:1.2.3.4"
 * gives a and 1.2.3.4). Node writes a value holding a separator or a quote as a JSON string: it is read as one,
 * so a name that contains ", DNS:x" is that whole name, never x. Anything malformed ends the list.
 */
export function subjectAltNames(san: string | undefined): string[] {
  const s = san ?? '';
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    if (colon < 0) return out;
    let j = colon + 1;
    if (s[j] === '"') {
      let k = j + 1;
      while (k < s.length && s[k] !== '"') k += s[k] === '\\' ? 2 : 1;
      try {
        out.push(JSON.parse(s.slice(j, k + 1)) as string);
      } catch {
        return out;
      }
      j = k + 1;
    } else {
      const end = s.indexOf(', ', j);
      j = end < 0 ? s.length : end;
      out.push(s.slice(colon + 1, j));
    }
    if (j < s.length && !s.startsWith(', ', j)) return out;
    i = j + 2;
  }
  return out;
}

export class WebConfigError extends Error {}

/** Read, validate and load a web configuration file (and the files it names). Throws WebConfigError. */
export async function loadWebConfig(path: string): Promise<WebConfig> {
  const [{ parse }, validate] = await Promise.all([import('yaml'), validator()]);
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8')) ?? {};
  } catch (err) {
    throw new WebConfigError(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!validate(data))
    throw new WebConfigError(`${path}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : ''}`).join('; ')}`);
  const file = data as WebConfigFile;
  const config: WebConfig = { headers: file.http_server_config?.headers ?? {}, files: [path], notApplied: [] };
  const t = file.tls_server_config;
  if (t !== undefined) {
    const read = async (inline: string | undefined, p: string | undefined, what: string): Promise<Buffer | undefined> => {
      if (inline !== undefined) return Buffer.from(inline);
      if (p === undefined) return undefined;
      config.files.push(p);
      try {
        return await readFile(p);
      } catch (err) {
        throw new WebConfigError(`${path}: ${what} ${p}: ${(err as Error).message}`);
      }
    };
    for (const [inline, file] of [['cert', 'cert_file'], ['key', 'key_file']] as const)
      if ((t[inline] === undefined) === (t[file] === undefined)) throw new WebConfigError(`${path}: tls_server_config: one of ${inline} and ${file}`);
    if (t.client_ca !== undefined && t.client_ca_file !== undefined) throw new WebConfigError(`${path}: tls_server_config: client_ca or client_ca_file, not both`);
    const auth = t.client_auth_type ?? 'NoClientCert';
    const hasCa = t.client_ca_file !== undefined || t.client_ca !== undefined;
    if ((auth === 'VerifyClientCertIfGiven' || auth === 'RequireAndVerifyClientCert') && !hasCa)
      throw new WebConfigError(`${path}: client_auth_type ${auth} needs client_ca_file or client_ca`);
    const sans = t.client_allowed_sans ?? [];
    if (sans.length > 0 && auth !== 'RequireAnyClientCert' && auth !== 'RequireAndVerifyClientCert')
      throw new WebConfigError(`${path}: client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`);
    const ca = await read(t.client_ca, t.client_ca_file, 'client_ca_file');
    const ciphers = (t.cipher_suites ?? []).map((c) => CIPHERS[c]);
    if (ciphers.includes(null)) config.notApplied.push('tls_server_config.cipher_suites: TLS 1.3 suites are not chosen by a configuration (as in Go); those listed are ignored');
    const chosen = ciphers.filter((c): c is string => typeof c === 'string');
    let curves = (t.curve_preferences ?? []).map((c) => CURVES[c] as string);
    const unsupported = curves.filter((c) => !curveSupported(c));
    if (unsupported.length > 0) {
      config.notApplied.push(`tls_server_config.curve_preferences: this Node.js (OpenSSL ${process.versions.openssl}) has no ${unsupported.join(', ')}; left out`);
      curves = curves.filter((c) => !unsupported.includes(c));
    }
    config.tls = {
      cert: (await read(t.cert, t.cert_file, 'cert_file')) as Buffer,
      key: (await read(t.key, t.key_file, 'key_file')) as Buffer,
      ...(ca !== undefined ? { ca } : {}),
      requestCert: auth !== 'NoClientCert',
      // Node verifies a client certificate it asked for unless told not to; checkClient does the rest.
      rejectUnauthorized: auth === 'RequireAndVerifyClientCert',
      minVersion: VERSIONS[t.min_version ?? 'TLS12'] as SecureVersion,
      ...(t.max_version !== undefined ? { maxVersion: VERSIONS[t.max_version] as SecureVersion } : {}),
      ...(chosen.length > 0 ? { ciphers: chosen.join(':') } : {}),
      ...(curves.length > 0 ? { ecdhCurve: curves.join(':') } : {}),
      honorCipherOrder: t.prefer_server_cipher_suites ?? true,
    };
    try {
      createSecureContext(config.tls);
    } catch (err) {
      throw new WebConfigError(`${path}: tls_server_config: ${(err as Error).message}`);
    }
    // What Node leaves to the application: a client without a certificate where one is required, an invalid
    // one where one is verified if given, and the allowed SANs.
    config.checkClient = (socket) => {
      const peer = socket.getPeerCertificate();
      const has = peer !== null && Object.keys(peer).length > 0;
      if (auth === 'RequireAnyClientCert' && !has) return 'no client certificate';
      if (auth === 'VerifyClientCertIfGiven' && has && !socket.authorized) return `client certificate not verified (${String(socket.authorizationError)})`;
      if (sans.length > 0 && !subjectAltNames(peer?.subjectaltname).some((n) => sans.includes(n))) return 'client certificate has none of client_allowed_sans';
      return null;
    };
  }
  if (file.http_server_config?.http2 === true) config.notApplied.push('http_server_config.http2: HTTP/2 is not served; HTTP/1.1 only');
  if (file.rate_limit !== undefined) {
    const intervalMs = goDurationMs(file.rate_limit.interval);
    if (intervalMs > 0) config.rateLimit = { intervalMs, burst: file.rate_limit.burst };
  }
  if (file.basic_auth_users !== undefined) config.users = new Map(Object.entries(file.basic_auth_users));
  return config;
}
