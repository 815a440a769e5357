import { readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CHECKS } from '../../src/audit/run-audit.js';
import { formatChecksDoc } from '../../src/report/checks-doc.js';

it('docs/checks.md lists every check with why it matters and how to fix it (UPDATE_GOLDEN=1 rewrites it)', () => {
  const path = new URL('../../docs/checks.md', import.meta.url);
  const doc = formatChecksDoc(CHECKS);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, doc);
  expect(readFileSync(path, 'utf8')).toBe(doc);
  for (const c of CHECKS) expect(doc).toContain(`## ${c.id}\n`);
});
