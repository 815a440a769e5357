/**
 * What each command loads: a one-shot audit of a small host should cost what reading and judging the keys
 * costs, not the start of an HTTP server. The packages only `serve` (express, prom-client), a configuration file
 * (yaml, ajv), a file watch (chokidar) or basic auth (bcryptjs) need are loaded only then. Recorded with a
 * module resolve hook in the child process; no timing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'kre-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = new URL('../fixtures/quota-full/', import.meta.url).pathname;

/** The packages under node_modules a command loaded (ESM imports and CommonJS requires alike). */
function packagesLoaded(args: string[]): Set<string> {
  const log = join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nimport { pathToFileURL } from 'node:url';\nregister(pathToFileURL(${JSON.stringify(hooks)}));\n`);
  const r = spawnSync(process.execPath, ['--import', register, BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  const names = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m !== null) names.add(m[1] as string);
  }
  return names;
}

const HEAVY = ['express', 'prom-client', 'ajv', 'yaml', 'chokidar', 'bcryptjs'];

describe('lazy loading', () => {
  it('audit, keys and --version load none of the packages only serve or a configuration file need', () => {
    for (const args of [['audit', '--path.procfs', fixture, '--fail-on', 'never'], ['keys', '--path.procfs', fixture], ['--version']]) {
      const loaded = packagesLoaded(args);
      expect(HEAVY.filter((p) => loaded.has(p)), args.join(' ')).toEqual([]);
    }
  });

  it('audit with --config.file loads the YAML parser and the schema validator', () => {
    const config = join(dir, 'audit.yml');
    writeFileSync(config, 'disabled_checks: [quota_limits_low]\n');
    const loaded = packagesLoaded(['audit', '--path.procfs', fixture, '--fail-on', 'never', '--config.file', config]);
    expect(loaded.has('yaml') && loaded.has('ajv')).toBe(true);
  });

  it('metrics loads neither express nor a file watcher', () => {
    const loaded = packagesLoaded(['metrics', '--path.procfs', fixture]);
    expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
  });
});
