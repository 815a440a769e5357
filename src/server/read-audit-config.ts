/**
 * Reads `--config.file` and the trust store baseline it names (trust_store.baseline, relative to the file's
 * folder), for `audit`, `metrics` and `serve` alike. The YAML parser and the schema's validator are loaded only
 * for a configuration file. An error names the file it is in, and the line and field where known.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AuditConfig } from '../audit/audit-config.js';
import { CHECKS } from '../audit/run-audit.js';

export interface AuditConfigError {
  file: string;
  line: number | null;
  /** The field, as a dotted path; empty for the whole file. */
  field: string;
  message: string;
}

export type AuditConfigRead = { ok: true; config: AuditConfig } | { ok: false; errors: AuditConfigError[] };

export async function readAuditConfig(path: string): Promise<AuditConfigRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ file: path, line: null, field: '', message: (err as Error).message }] };
  }
  const { baselinePathIn, parseAuditConfig } = await import('../audit/audit-config-file.js');
  let baseline: AuditConfig['trustStore']['baseline'] = null;
  const named = baselinePathIn(text);
  if (named !== null) {
    const file = resolve(dirname(path), named);
    let saved: string;
    try {
      saved = await readFile(file, 'utf8');
    } catch (err) {
      return { ok: false, errors: [{ file: path, line: null, field: 'trust_store.baseline', message: (err as Error).message }] };
    }
    const { parseTrustStoreBaseline } = await import('../audit/trust-store-baseline.js');
    const parsed = parseTrustStoreBaseline(saved, file);
    if ('error' in parsed) return { ok: false, errors: [{ file: path, line: null, field: 'trust_store.baseline', message: parsed.error }] };
    baseline = { path: file, saved: parsed };
  }
  const r = parseAuditConfig(text, CHECKS.map((c) => c.id), baseline);
  return r.ok ? r : { ok: false, errors: r.errors.map((e) => ({ file: path, line: e.line, field: e.path, message: e.message })) };
}
