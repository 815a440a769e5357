/**
 * The audit JSON document (schema: docs/schemas/audit.schema.json): the `keys` document plus the checks that
 * ran and their findings.
 */
import type { AuditReport } from '../audit/run-audit.js';
import type { Inventory } from '../classify/inventory.js';
import { createKeysDocument, type DocumentMeta } from './keys-document.js';
import { jsonChunks } from './json-chunks.js';

export const AUDIT_DOCUMENT_SCHEMA_VERSION = 1;

export function createAuditDocument(inv: Inventory, report: AuditReport, meta: DocumentMeta & { failOn: string; exitCode: number }): Record<string, unknown> {
  const { failOn, exitCode, ...keysMeta } = meta;
  return {
    ...createKeysDocument(inv, keysMeta),
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
