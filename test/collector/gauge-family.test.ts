import { readFileSync, readdirSync } from 'node:fs';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/classify/inventory.js';
import { createGauges, updateGauges } from '../../src/collector/collectors.js';
import { formatFamilies, GaugeFamily, joinFamilies } from '../../src/collector/gauge-family.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { collectorOptions } from '../helpers/collector-options.js';

const options = collectorOptions();

const registryOf = (openMetrics: boolean): Registry => {
  const r = new Registry();
  if (openMetrics) r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  return r;
};

/** An exposition without the families that have no sample (HELP and TYPE only). */
function withoutEmptyFamilies(text: string, openMetrics: boolean): string {
  const families: string[][] = [];
  for (const line of text.split('\n'))
    if (line.startsWith('# HELP ')) families.push([line]);
    else if (line !== '' && line !== '# EOF') families[families.length - 1]?.push(line);
  return joinFamilies(families.filter((f) => f.some((l) => !l.startsWith('#'))).map((f) => f.join('\n')), openMetrics);
}

describe('GaugeFamily', () => {
  const names = readdirSync(new URL('../fixtures/', import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const openMetrics of [false, true])
    it.each(names)(`writes what prom-client's Registry writes of it, ${openMetrics ? 'OpenMetrics' : 'text format'}: %s`, async (name) => {
      const dir = new URL(`../fixtures/${name}/`, import.meta.url);
      const capture = JSON.parse(readFileSync(new URL('capture.json', dir), 'utf8')) as { capturedAt: number };
      const registry = registryOf(openMetrics);
      const g = createGauges(registry);
      updateGauges(g, buildInventory(await readSnapshot(dir.pathname, () => capture.capturedAt)), options);
      // prom-client writes HELP and TYPE of a family without series too; the exporter leaves such a family out.
      expect(formatFamilies(Object.values(g), openMetrics)).toBe(withoutEmptyFamilies(await registry.metrics(), openMetrics));
    });

  it('writes labels, escapes and special values as a prom-client Gauge does', async () => {
    const registry = new Registry();
    const theirs = new Gauge({ name: 'x', help: 'a \\ back\nslash', labelNames: ['a', 'b'], registers: [registry] });
    const plain = new Gauge({ name: 'y', help: 'none', registers: [registry] });
    const ours = new GaugeFamily('x', 'a \\ back\nslash', ['a', 'b']);
    const ourPlain = new GaugeFamily('y', 'none', []);
    for (const [labels, v] of [
      [{ a: 'q"uote', b: 'back\\slash\nnewline' }, 1.5],
      [{ a: '1', b: '2' }, Number.NaN],
      [{ a: 'inf', b: '' }, Number.POSITIVE_INFINITY],
      [{ a: '-inf', b: '' }, Number.NEGATIVE_INFINITY],
      [{ a: '1', b: '2' }, 3], // set again: the first one's place is kept
    ] as const) {
      theirs.set(labels, v);
      ours.set(labels, v);
    }
    theirs.inc({ a: 'new', b: 'c' }, 2);
    ours.inc({ a: 'new', b: 'c' }, 2);
    // Not set: prom-client's Gauge writes 0, the family writes nothing.
    expect(ourPlain.empty).toBe(true);
    expect(formatFamilies([ours, ourPlain], false)).toBe(withoutEmptyFamilies((await registry.metrics()).replace(/\ny 0\n/, '\n'), false));
    plain.set(7);
    ourPlain.set(7);
    expect(formatFamilies([ours, ourPlain], false)).toBe(await registry.metrics());
  });

  it('exports nothing of a series once reset (a family without labels too)', () => {
    const f = new GaugeFamily('x', 'h', ['uid']);
    f.set({ uid: '1' }, 1);
    f.reset();
    f.set({ uid: '2' }, 2);
    expect(f.format()).toBe('# HELP x h\n# TYPE x gauge\nx{uid="2"} 2');
    const plain = new GaugeFamily('y', 'h', []);
    plain.set(5);
    plain.reset();
    expect(plain.empty).toBe(true);
    expect(formatFamilies([plain], false)).toBe('\n');
  });

  it('a series set again after updates without it starts from zero, and inc counts within one update only', () => {
    const f = new GaugeFamily('x', 'h', ['uid']);
    f.inc({ uid: '1' }, 3);
    f.inc({ uid: '1' });
    f.set({ uid: '2' }, 2);
    expect(f.format()).toBe('# HELP x h\n# TYPE x gauge\nx{uid="1"} 4\nx{uid="2"} 2');
    for (let i = 0; i < 3; i++) {
      f.reset();
      f.set({ uid: '2' }, 2);
    }
    f.reset();
    f.inc({ uid: '1' });
    f.set({ uid: '2' }, 5);
    expect(f.format()).toBe('# HELP x h\n# TYPE x gauge\nx{uid="2"} 5\nx{uid="1"} 1');
  });

  it('refuses a missing label (a programmer error)', () => {
    expect(() => new GaugeFamily('x', 'h', ['a', 'b']).set({ a: '1' }, 1)).toThrow('label b missing');
  });
});
