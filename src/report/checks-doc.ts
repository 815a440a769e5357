/** docs/checks.md, written from the checks themselves so that the page cannot drift from the code. */
import type { Check } from '../audit/check.js';

export function formatChecksDoc(checks: readonly Check[]): string {
  const out: string[] = [
    '# Audit checks',
    '',
    '<!-- Generated from src/audit/checks/ by test/report/checks-doc.test.ts (UPDATE_GOLDEN=1); do not edit by hand. -->',
    '',
    '`keyring-exporter audit` runs these checks, in this order. Each finding names its check, a severity',
    '(`info`, `warning`, `critical`), what it found and what to do about it. Thresholds and allow-lists are set',
    'with `--config.file` (docs/schemas/audit-config.schema.json); `disabled_checks` switches checks off.',
    '',
    '| check | typical severity |',
    '|---|---|',
    ...checks.map((c) => `| [\`${c.id}\`](#${c.id}) | ${c.severity} |`),
  ];
  for (const c of checks) out.push('', `## ${c.id}`, '', `Severity: ${c.severity}.`, '', `Why it matters: ${c.rationale}`, '', `How to fix it: ${c.fix}`);
  return out.join('\n') + '\n';
}
