/**
 * deploy/kubernetes/prometheusrule.yaml and grafana-dashboard.yaml, made from rules/ and dashboards/ so that the
 * Kubernetes manifests never drift from the files they carry (test/deploy/kubernetes.test.ts compares them).
 *
 *   node dist/scripts/kubernetes-manifests.js     (rewrites both files)
 */
import { readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const HEADER = '# Generated from rules/ and dashboards/ by scripts/kubernetes-manifests.ts: edit those, then run it.\n';

/** The PrometheusRule of rules/keyring-exporter.rules.yml (the Prometheus Operator). */
export function prometheusRule(root: string): string {
  const rules = parse(readFileSync(join(root, 'rules/keyring-exporter.rules.yml'), 'utf8')) as { groups: unknown[] };
  const doc = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'keyring-exporter', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'keyring-exporter' } },
    spec: { groups: rules.groups },
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

/** A ConfigMap of every dashboard, labelled for Grafana's dashboard sidecar (grafana_dashboard: "1"). */
export function dashboardConfigMap(root: string): string {
  const dir = join(root, 'dashboards');
  const data: Record<string, string> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) data[f] = readFileSync(join(dir, f), 'utf8');
  const doc = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'keyring-exporter-dashboards', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'keyring-exporter', grafana_dashboard: '1' } },
    data,
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.cwd();
  writeFileSync(join(root, 'deploy/kubernetes/prometheusrule.yaml'), prometheusRule(root));
  writeFileSync(join(root, 'deploy/kubernetes/grafana-dashboard.yaml'), dashboardConfigMap(root));
}
