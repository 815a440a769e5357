/**
 * The npm package as a user gets it: the checkout's files as a fresh clone has them (tracked, and new ones not
 * ignored), packed with `npm pack` (which builds first: the prepack script), then installed with
 * `npm install -g` into a throwaway prefix. The `keyring-exporter` it puts on PATH must work: --version, an audit
 * of a captured folder, and serve answering a scrape.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { hasCommand, itWith } from '../helpers/prerequisites.js';
import { REPO } from '../helpers/runtime-copy.js';
import { freePort, until } from '../helpers/waiting.js';

const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const fixture = join(REPO, 'test/fixtures/forged-line');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 150_000 });
}

describe('the npm package', () => {
  itWith([hasCommand('git'), hasCommand('tar')])(
    'npm pack in a fresh clone builds a tarball that npm install -g turns into a working keyring-exporter',
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'kre-package-'));
      let server: ReturnType<typeof spawn> | undefined;
      try {
        const clone = join(tmp, 'clone');
        mkdirSync(clone);
        const copy = run('bash', ['-c', `git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C '${clone}'`], REPO);
        expect(copy.status, copy.stderr).toBe(0);
        expect(existsSync(join(clone, 'dist')), 'the copy has no build').toBe(false);
        // The dependencies as `npm ci` installs them (the build needs the dev dependencies).
        symlinkSync(join(REPO, 'node_modules'), join(clone, 'node_modules'));

        const pack = run('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], clone);
        expect(pack.status, pack.stderr).toBe(0);
        const tarball = join(tmp, `keyring-exporter-${version}.tgz`);
        expect(existsSync(tarball), readdirSync(tmp).join(' ')).toBe(true);
        const listed = run('tar', ['-tzf', tarball], tmp).stdout.split('\n');
        for (const f of ['package/LICENSE', 'package/README.md', 'package/bin/keyring-exporter', 'package/dist/src/cli/main.js', 'package/dist/src/procfs/stream-worker.js', 'package/rules/keyring-exporter.rules.yml'])
          expect(listed, f).toContain(f);
        expect(listed.filter((f) => f.startsWith('package/test/') || f.startsWith('package/src/') || f.endsWith('.map'))).toEqual([]);

        const prefix = join(tmp, 'prefix');
        const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], tmp);
        expect(install.status, install.stderr).toBe(0);
        const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}` };

        const v = run('keyring-exporter', ['--version'], tmp, env);
        expect(v.status, v.stderr).toBe(0);
        expect(v.stdout).toContain(version);

        const audit = run('keyring-exporter', ['audit', '--path.procfs', fixture, '--format', 'json', '--fail-on', 'never'], tmp, env);
        expect(audit.status, audit.stderr).toBe(0);
        expect((JSON.parse(audit.stdout) as { audit: { findings: unknown[] } }).audit.findings.length).toBeGreaterThan(0);

        const port = await freePort();
        server = spawn('keyring-exporter', ['serve', '--path.procfs', fixture, '--web.listen-address', `127.0.0.1:${port}`, '--log.level', 'warn'], { cwd: tmp, env, stdio: 'ignore' });
        const body = await until('a scrape of the installed exporter', async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          return res.ok ? res.text() : undefined;
        }, 30);
        expect(body).toMatch(/^keyring_scrape_collector_success\{collector="keys"\} 1$/m);
      } finally {
        if (server?.pid !== undefined) server.kill('SIGTERM');
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
