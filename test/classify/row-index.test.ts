/**
 * The rows the classifier picks out as it classifies (RowIndex) give the collectors and the audit exactly what
 * their passes over every row give: for every captured fixture, with and without allow-lists, the exposition and
 * the findings are the same with the index as without it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from '../../src/audit/audit-config.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { buildInventory, type Inventory } from '../../src/classify/inventory.js';
import { createGauges, updateGauges } from '../../src/collector/collectors.js';
import { formatFamilies } from '../../src/collector/gauge-family.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { collectorOptions } from '../helpers/collector-options.js';

const fixtures = new URL('../fixtures/', import.meta.url);
const NAMES = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

async function inventory(name: string): Promise<Inventory> {
  const capture = JSON.parse(readFileSync(new URL(`${name}/capture.json`, fixtures), 'utf8')) as { capturedAt: number };
  return buildInventory(await readSnapshot(new URL(`${name}/`, fixtures).pathname, () => capture.capturedAt));
}

/** The same inventory without its index: every consumer takes its pass over every row. */
function withoutIndex(inv: Inventory): Inventory {
  const { index: _index, ...byRow } = inv.byRow;
  return Object.assign(Object.create(Object.getPrototypeOf(inv) as object) as Inventory, inv, { byRow });
}

const CONFIGS: [string, AuditConfig][] = [
  ['the default audit', DEFAULT_AUDIT_CONFIG],
  ['uid 0 allowed', { ...DEFAULT_AUDIT_CONFIG, allow: { uids: [0], types: [], descriptions: [] } }],
  ['keyrings and descriptions allowed', { ...DEFAULT_AUDIT_CONFIG, allow: { uids: [], types: ['user'], descriptions: ['_ses*', 'invocation_id'] } }],
];

describe('RowIndex', () => {
  it.each(NAMES)('%s: the exposition and the findings are those of the passes over every row', async (name) => {
    const inv = await inventory(name);
    // No index once a fold has reclassified a row (a forged line folded back into the record it came from).
    const folded = inv.byRow.rows.length < inv.byRow.table.count;
    expect(inv.byRow.index === undefined).toBe(folded);
    const plain = withoutIndex(inv);
    expect(plain.byRow.index).toBeUndefined();
    for (const [, config] of CONFIGS) {
      const exposition = (i: Inventory): string => {
        const g = createGauges();
        updateGauges(g, i, collectorOptions({ auditConfig: config }));
        return formatFamilies(Object.values(g), false);
      };
      expect(exposition(inv)).toBe(exposition(plain));
      expect(runAudit(inv, config)).toEqual(runAudit(plain, config));
    }
  });

  it('has fixtures with an index whose audits find something, so that the comparison compares findings', async () => {
    let findings = 0;
    let indexed = 0;
    for (const name of NAMES) {
      const inv = await inventory(name);
      if (inv.byRow.index === undefined) continue;
      indexed++;
      findings += runAudit(inv, DEFAULT_AUDIT_CONFIG).findings.length;
    }
    expect(indexed).toBeGreaterThan(NAMES.length - 3);
    expect(findings).toBeGreaterThan(10);
  });
});
