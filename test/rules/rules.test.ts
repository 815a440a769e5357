/**
 * rules/: promtool check rules and promtool test rules (every alert fires on one series and stays quiet on
 * another), every metric a rule names is one the exporter exports or a rule records, and the alert conventions
 * mixtool lint enforces (CamelCase names, a severity, a fixed summary ending with a period, a templated description).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRIC_FAMILIES } from '../../src/collector/metric-families.js';
import { hasCommand, itWith } from '../helpers/prerequisites.js';

const rulesPath = new URL('../../rules/keyring-exporter.rules.yml', import.meta.url).pathname;
const testsPath = new URL('../../rules/keyring-exporter.rules.test.yml', import.meta.url).pathname;

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(rulesPath, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const withPromtool = itWith([hasCommand('promtool')]);

describe('rules/keyring-exporter.rules.yml', () => {
  withPromtool('passes promtool check rules', () => {
    const r = spawnSync('promtool', ['check', 'rules', rulesPath], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  withPromtool('passes its promtool unit tests', () => {
    const r = spawnSync('promtool', ['test', 'rules', testsPath], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('every alert has a firing case in the unit tests', () => {
    const tested = new Set([...readFileSync(testsPath, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const r of rules) if (r.alert !== undefined) expect(tested.has(r.alert), r.alert).toBe(true);
  });

  it('names only metrics the exporter exports or a rule records', () => {
    const known = new Set([...METRIC_FAMILIES.map((f) => f.name), ...rules.flatMap((r) => (r.record !== undefined ? [r.record] : [])), 'up']);
    for (const r of rules)
      // Names outside string literals that are a metric's or a recording's: keyring_*, up, level:metric:ops.
      for (const name of r.expr.replace(/"[^"]*"/g, '""').match(/\b[a-z_]+(?::[a-z_]+)+\b|\bkeyring_[a-z_]+\b|\bup\b/g) ?? [])
        expect(known.has(name), `${r.alert ?? r.record}: ${name}`).toBe(true);
  });

  it('names recording rules level:metric:operations, and the scrape job in one place', () => {
    for (const r of rules.filter((x) => x.record !== undefined)) {
      const [level, metric, ops] = (r.record as string).split(':');
      expect([level, ops].every((x) => /^[a-z][a-z_]*$/.test(x ?? '')), r.record).toBe(true);
      // The metric part names what it was made from.
      expect(r.expr, r.record).toContain(metric);
    }
    expect(rules.filter((r) => r.expr.includes('job=')).map((r) => r.record ?? r.alert)).toEqual(['instance:up:keyring_exporter']);
  });

  it('gives every alert a runbook_url to its own section of docs/runbook.md, and the runbook has no section without an alert', () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const sections = [...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
    const alerts = rules.filter((r) => r.alert !== undefined);
    expect(sections).toEqual(alerts.map((r) => r.alert));
    for (const r of alerts)
      expect(r.annotations?.['runbook_url'], r.alert).toBe(`https://github.com/keyring-exporter/keyring-exporter/blob/main/docs/runbook.md#${(r.alert as string).toLowerCase()}`);
  });

  it.each(rules.filter((r) => r.alert !== undefined).map((r) => [r.alert as string, r]))('%s follows the alert conventions', (_name, r) => {
    expect(r.alert).toMatch(/^Keyring[A-Z][A-Za-z]+$/);
    expect(['warning', 'critical', 'info']).toContain(r.labels?.['severity']);
    const summary = r.annotations?.['summary'] ?? '';
    expect(summary).toMatch(/^[A-Za-z].*\.$/);
    expect(summary).not.toContain('{{');
    // Templated, naming the instance wherever the alert has one (absent() yields a series without labels).
    if (!r.expr.startsWith('absent(')) expect(r.annotations?.['description']).toContain('{{ $labels.instance }}');
  });
});
