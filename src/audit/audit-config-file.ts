/**
 * `--config.file`: YAML text in, a complete AuditConfig or a list of errors out (pure: the CLI reads the
 * file). Validated against docs/schemas/audit-config.schema.json; an invalid file is rejected whole, never half
 * applied, and every error names the field's path and its line.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import schema from '../../docs/schemas/audit-config.schema.json' with { type: 'json' };
import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from './audit-config.js';

/** The path of the trust store baseline a configuration names, if any (read before the file is parsed whole). */
export function baselinePathIn(text: string): string | null {
  try {
    const v = (parseDocument(text).toJS() as { trust_store?: { baseline?: unknown } } | null)?.trust_store?.baseline;
    return typeof v === 'string' && v !== '' ? v : null;
  } catch {
    return null;
  }
}

export interface ConfigError {
  /** The field, as a dotted path (`quota.warning_ratio`); empty for the whole document. */
  path: string;
  /** 1-based line in the file, when known. */
  line: number | null;
  message: string;
}

export type ConfigResult = { ok: true; config: AuditConfig } | { ok: false; errors: ConfigError[] };

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

interface ConfigFile {
  disabled_checks?: string[];
  quota?: { warning_ratio?: number; critical_ratio?: number };
  limits?: { root_maxkeys?: number; root_maxbytes?: number; maxkeys?: number; maxbytes?: number };
  sessions?: { quota_share?: number; max_count?: number };
  persistent?: { expiring_within_seconds?: number };
  allow?: { uids?: number[]; types?: string[]; descriptions?: string[] };
  kerberos?: { tgt_expiring_within_seconds?: number; max_caches?: number; quota_share?: number };
  secrets?: { passphrase_max_seconds?: number };
  upcall?: { failed_min?: number };
  trust_store?: { baseline?: string; distrusted?: { key_id?: string; subject?: string; reason?: string; severity?: 'warning' | 'critical' }[] };
}

/** Line of the node at `path` (or of the key `key` inside it). */
function lineOf(doc: Document, lines: LineCounter, path: (string | number)[], key?: string): number | null {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    const range = pair !== undefined && isScalar(pair.key) ? pair.key.range : undefined;
    if (range) return lines.linePos(range[0]).line;
  }
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? lines.linePos(range[0]).line : null;
}

function describe(e: ErrorObject): { path: (string | number)[]; key?: string; message: string } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    return { path: [...path, key], key, message: `unknown field "${key}"` };
  }
  return { path, message: e.message ?? e.keyword };
}

/**
 * The configuration in `text`. `baseline`: the trust store saved at the path the file names (trust_store.baseline),
 * as the caller read and parsed it (cli/, server/ read files; this module does not).
 */
export function parseAuditConfig(text: string, knownChecks: readonly string[], baseline?: AuditConfig['trustStore']['baseline']): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0)
    return {
      ok: false,
      errors: doc.errors.map((e) => ({ path: '', line: lines.linePos(e.pos[0]).line, message: e.message.split('\n')[0] ?? e.message })),
    };
  const data = (doc.toJS() ?? {}) as unknown;
  if (!validate(data)) {
    const errors = (validate.errors ?? []).map((e) => {
      const d = describe(e);
      const parent = d.key !== undefined ? d.path.slice(0, -1) : d.path;
      return { path: d.path.join('.'), line: lineOf(doc, lines, parent, d.key), message: d.message };
    });
    return { ok: false, errors };
  }
  const file = data as ConfigFile;
  const errors: ConfigError[] = [];
  (file.disabled_checks ?? []).forEach((id, i) => {
    if (!knownChecks.includes(id))
      errors.push({ path: `disabled_checks.${i}`, line: lineOf(doc, lines, ['disabled_checks', i]), message: `no check is called "${id}"` });
  });
  const d = DEFAULT_AUDIT_CONFIG;
  const config: AuditConfig = {
    disabled: file.disabled_checks ?? d.disabled,
    quota: {
      warningRatio: file.quota?.warning_ratio ?? d.quota.warningRatio,
      criticalRatio: file.quota?.critical_ratio ?? d.quota.criticalRatio,
    },
    limits: {
      rootMaxkeys: file.limits?.root_maxkeys ?? d.limits.rootMaxkeys,
      rootMaxbytes: file.limits?.root_maxbytes ?? d.limits.rootMaxbytes,
      maxkeys: file.limits?.maxkeys ?? d.limits.maxkeys,
      maxbytes: file.limits?.maxbytes ?? d.limits.maxbytes,
    },
    sessions: {
      quotaShare: file.sessions?.quota_share ?? d.sessions.quotaShare,
      maxCount: file.sessions?.max_count ?? d.sessions.maxCount,
    },
    persistent: { expiringWithinSeconds: file.persistent?.expiring_within_seconds ?? d.persistent.expiringWithinSeconds },
    allow: {
      uids: file.allow?.uids ?? d.allow.uids,
      types: file.allow?.types ?? d.allow.types,
      descriptions: file.allow?.descriptions ?? d.allow.descriptions,
    },
    kerberos: {
      tgtExpiringWithinSeconds: file.kerberos?.tgt_expiring_within_seconds ?? d.kerberos.tgtExpiringWithinSeconds,
      maxCaches: file.kerberos?.max_caches ?? d.kerberos.maxCaches,
      quotaShare: file.kerberos?.quota_share ?? d.kerberos.quotaShare,
    },
    secrets: { passphraseMaxSeconds: file.secrets?.passphrase_max_seconds ?? d.secrets.passphraseMaxSeconds },
    upcall: { failedMin: file.upcall?.failed_min ?? d.upcall.failedMin },
    trustStore: {
      baseline: baseline ?? null,
      distrusted: (file.trust_store?.distrusted ?? []).map((c) => ({
        keyId: c.key_id?.toLowerCase() ?? null,
        subject: c.subject ?? null,
        reason: c.reason ?? 'listed as distrusted in the configuration',
        severity: c.severity ?? 'warning',
      })),
    },
  };
  if (config.quota.warningRatio > config.quota.criticalRatio)
    errors.push({
      path: 'quota.warning_ratio',
      line: lineOf(doc, lines, ['quota', 'warning_ratio']),
      message: `warning_ratio ${config.quota.warningRatio} is above critical_ratio ${config.quota.criticalRatio}`,
    });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
