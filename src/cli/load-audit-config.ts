import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from '../audit/audit-config.js';
import { escapeByteString } from '../parser/byte-string.js';
import { readAuditConfig } from '../server/read-audit-config.js';
import type { CliIo } from './io.js';

/** Read and validate --config.file (and the trust store baseline it names); null (after printing why) when it is unusable. */
export async function loadAuditConfig(path: string | undefined, io: CliIo): Promise<AuditConfig | null> {
  if (path === undefined) return DEFAULT_AUDIT_CONFIG;
  const r = await readAuditConfig(path);
  if (r.ok) return r.config;
  for (const e of r.errors)
    io.stderr(`keyring-exporter: ${e.file}${e.line !== null ? `:${e.line}` : ''}: ${e.field !== '' ? `${e.field}: ` : ''}${escapeByteString(e.message)}\n`);
  return null;
}
