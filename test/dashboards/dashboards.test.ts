/**
 * Static checks of dashboards/ (no Grafana here): valid JSON, a fixed uid and title, not editable, a
 * `datasource` variable used by every panel and query (no ${DS_...} inputs, so file provisioning works),
 * job/instance variables in every query, unique panel ids inside the 24-column grid, a unit on every panel,
 * every query parses as PromQL, and every metric a query names is exported or recorded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_FAMILIES } from '../../src/collector/metric-families.js';

const dir = new URL('../../dashboards/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const recorded = (parse(readFileSync(new URL('../../rules/keyring-exporter.rules.yml', import.meta.url), 'utf8')) as { groups: { rules: { record?: string }[] }[] }).groups
  .flatMap((g) => g.rules)
  .flatMap((r) => (r.record !== undefined ? [r.record] : []));
const known = new Set([...METRIC_FAMILIES.map((f) => f.name), ...recorded, 'up']);

function parsesAsPromQL(expr: string): boolean {
  let ok = true;
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
    },
  });
  return ok;
}

describe.each(files)('dashboards/%s', (file) => {
  const d = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as any;
  const panels: any[] = d.panels.filter((p: any) => p.type !== 'row');
  const targets: any[] = panels.flatMap((p) => p.targets ?? []);

  it('has a fixed uid and title, a schemaVersion, and is not editable', () => {
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title.length).toBeGreaterThan(0);
    // The last schema version of Grafana's classic dashboard model (Grafana 12.3 and later).
    expect(d.schemaVersion).toBe(42);
    expect(d.editable).toBe(false);
    expect(JSON.stringify(d)).not.toContain('${DS_');
  });

  it('picks its data source with a datasource variable, used by every panel and query', () => {
    const ds = d.templating.list.find((v: any) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus', label: 'Data source' });
    for (const p of panels) expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const t of targets) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    expect(d.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'job', 'instance']);
  });

  it('has unique panel ids, inside the 24-column grid, each with a title, a description and a unit', () => {
    const ids = d.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    for (const p of panels) {
      expect(p.description.length, p.title).toBeGreaterThan(10);
      expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
      expect(p.targets.length, p.title).toBeGreaterThan(0);
    }
  });

  it("shows each query's values in the unit of what they count: seconds, bytes, a ratio or a number", () => {
    /** The units a query of `metric` may be shown in. */
    const unitsFor = (metric: string): string[] => {
      if (metric.endsWith(':ratio')) return ['percentunit'];
      if (metric.endsWith('_seconds')) return ['s'];
      if (/bytes/.test(metric)) return ['bytes', 'decbytes'];
      if (metric === 'keyring_scrape_collector_success') return ['bool', 'short'];
      return ['short', 'none'];
    };
    for (const p of panels)
      for (const t of p.targets) {
        const override = (p.fieldConfig.overrides ?? []).find(
          (o: any) => (o.matcher.id === 'byFrameRefID' && o.matcher.options === t.refId) || (o.matcher.id === 'byName' && o.matcher.options === `Value #${t.refId}`),
        );
        const unit = override?.properties.find((x: any) => x.id === 'unit')?.value ?? p.fieldConfig.defaults.unit;
        const metric = (t.expr.match(/\b(?:(?:[a-z_]+:)?keyring[:_][a-z_:]+|up)\b/) ?? [''])[0];
        expect(unitsFor(metric), `${p.title}: ${t.expr}`).toContain(unit);
      }
  });

  it('queries parse as PromQL, filter on job and instance, and name only metrics that exist', () => {
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) {
      expect(parsesAsPromQL(t.expr), t.expr).toBe(true);
      expect(t.expr, t.expr).toContain('job="$job", instance=~"$instance"');
      for (const name of t.expr.match(/\b(?:(?:[a-z_]+:)?keyring[:_][a-z_:]+|up)\b/g) ?? []) expect(known.has(name), `${name} in ${t.expr}`).toBe(true);
    }
  });
});

describe('dashboards/provisioning', () => {
  it('provides the dashboards from files and a Prometheus data source', () => {
    const provider = parse(readFileSync(new URL('provisioning/dashboards/keyring-exporter.yml', dir), 'utf8'));
    expect(provider).toMatchObject({ apiVersion: 1, providers: [{ type: 'file', options: { path: expect.any(String) } }] });
    const ds = parse(readFileSync(new URL('provisioning/datasources/prometheus.yml', dir), 'utf8'));
    expect(ds).toMatchObject({ apiVersion: 1, datasources: [{ type: 'prometheus' }] });
  });

  it('the PromQL check catches a broken query (the check itself works)', () => {
    expect(parsesAsPromQL('sum(keyring_keys{job="x"')).toBe(false);
  });
});
