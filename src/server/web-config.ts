/**
 * --web.config.file: the exporter-toolkit web configuration (TLS, basic auth), as node_exporter reads it.
 * Validated against docs/schemas/web-config.schema.json; certificate files are read when loaded, so a reload
 * (file change or SIGHUP) picks up a rotated certificate without a restart.
 */
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import schema from '../../docs/schemas/web-config.schema.json' with { type: 'json' };

/** The schema's validator, compiled when a file is first loaded (ajv is not loaded without one). */
let compiled: Promise<import('ajv').ValidateFunction> | undefined;
function validator(): Promise<import('ajv').ValidateFunction> {
  compiled ??= import('ajv/dist/2020.js').then(({ Ajv2020 }) => new Ajv2020({ allErrors: true, strict: true }).compile(schema));
  return compiled;
}

export interface WebConfig {
  tls?: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean; minVersion: SecureVersion; maxVersion?: SecureVersion };
  /** user → bcrypt hash; undefined when basic auth is off. */
  users?: Map<string, string>;
  headers: Record<string, string>;
  /** The file and the files it names (certificate, key, client CA): a change to any of them is a reload. */
  files: string[];
}

interface WebConfigFile {
  tls_server_config?: {
    cert_file: string;
    key_file: string;
    client_auth_type?: string;
    client_ca_file?: string;
    min_version?: string;
    max_version?: string;
  };
  basic_auth_users?: Record<string, string>;
  http_server_config?: { headers?: Record<string, string> };
}

const VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

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
  const config: WebConfig = { headers: file.http_server_config?.headers ?? {}, files: [path] };
  const t = file.tls_server_config;
  if (t !== undefined) {
    const read = async (p: string, what: string): Promise<Buffer> => {
      config.files.push(p);
      try {
        return await readFile(p);
      } catch (err) {
        throw new WebConfigError(`${path}: ${what} ${p}: ${(err as Error).message}`);
      }
    };
    const auth = t.client_auth_type ?? 'NoClientCert';
    if ((auth === 'VerifyClientCertIfGiven' || auth === 'RequireAndVerifyClientCert') && t.client_ca_file === undefined)
      throw new WebConfigError(`${path}: client_auth_type ${auth} needs client_ca_file`);
    config.tls = {
      cert: await read(t.cert_file, 'cert_file'),
      key: await read(t.key_file, 'key_file'),
      ...(t.client_ca_file !== undefined ? { ca: await read(t.client_ca_file, 'client_ca_file') } : {}),
      requestCert: auth !== 'NoClientCert',
      // Node verifies a client certificate it asked for unless told not to; "Any" means any, verified or not.
      rejectUnauthorized: auth === 'RequireAndVerifyClientCert',
      minVersion: VERSIONS[t.min_version ?? 'TLS12'] as SecureVersion,
      ...(t.max_version !== undefined ? { maxVersion: VERSIONS[t.max_version] as SecureVersion } : {}),
    };
  }
  if (file.basic_auth_users !== undefined) config.users = new Map(Object.entries(file.basic_auth_users));
  return config;
}
