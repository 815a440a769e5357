/**
 * The audit JSON document (schema: docs/schemas/audit.schema.json): the `keys` document without the keys
 * (`keys --format json` lists them; each finding names the keys it is about), plus the checks that ran and
 * their findings.
 */
import type { AuditReport } from '../audit/run-audit.js';
import type { Inventory } from '../classify/inventory.js';
import { keysDocumentHeader, type DocumentMeta } from './keys-document.js';
import { jsonChunks } from './json-chunks.js';

export const AUDIT_DOCUMENT_SCHEMA_VERSION = 2;

export function createAuditDocument(inv: Inventory, report: AuditReport, meta: DocumentMeta & { failOn: string; exitCode: number }): Record<string, unknown> {
  const { failOn, exitCode, ...keysMeta } = meta;
  return {
    ...keysDocumentHeader(inv, keysMeta),
    schemaVersion: AUDIT_DOCUMENT_SCHEMA_VERSION,
    audit: {
      failOn,
      exitCode,
      counts: report.counts,
      checks: report.checks,
      findings: report.findings,
    },
  };
}

/** The audit document as JSON, in pieces written as they are made (json-chunks.ts says why). */
export function auditJsonChunks(inv: Inventory, report: AuditReport, meta: DocumentMeta & { failOn: string; exitCode: number }): Iterable<string> {
  return jsonChunks(createAuditDocument(inv, report, meta));
}
