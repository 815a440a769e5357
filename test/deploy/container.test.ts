/**
 * deploy/container/Containerfile, without a container engine (none runs here, and no image registry is
 * reachable): its stages are read from the file and carried out on the file system, and the runtime stage's
 * tree must run the exporter. What this proves: the build stage's COPY lines bring everything the build needs,
 * `npm prune --omit=dev` keeps everything the runtime needs, and the runtime stage copies all of it. What it
 * cannot: the base image itself (node:24-trixie-slim; these tests run on the Node.js of this machine).
 * node_modules comes from this checkout (hard links) instead of `npm ci`: the same lockfile, without the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, stages, type Stage } from '../helpers/containerfile.js';

const work = mkdtempSync(join(tmpdir(), 'kre-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A stage's file system: its WORKDIR, under a folder of its own. */
const rootOf = (s: Stage): string => join(work, s.name ?? 'runtime');

function carryOut(s: Stage, all: Stage[]): void {
  const dir = join(rootOf(s), s.workdir);
  mkdirSync(dir, { recursive: true });
  for (const step of s.steps) {
    if (step.op === 'COPY') {
      const dest = step.args[step.args.length - 1] as string;
      const source = step.from === undefined ? REPO : join(rootOf(all.find((x) => x.name === step.from) as Stage), '/');
      for (const src of step.args.slice(0, -1)) {
        const to = dest.endsWith('/') || dest === '.' ? join(dir, dest, src.split('/').pop() as string) : join(dir, dest);
        cpSync(join(source, src), to, { recursive: true });
      }
    } else if (step.args[0]?.startsWith('npm ci')) {
      if (spawnSync('cp', ['-al', join(REPO, 'node_modules'), dir]).status !== 0) execFileSync('cp', ['-a', join(REPO, 'node_modules'), dir]);
      // npm rewrites this one in the steps that follow: a copy of its own, so the checkout's is never touched.
      execFileSync('cp', ['--remove-destination', join(REPO, 'node_modules', '.package-lock.json'), join(dir, 'node_modules', '.package-lock.json')]);
    } else {
      const r = spawnSync('sh', ['-c', step.args[0] as string], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
      expect(r.status, `RUN ${step.args[0]}: ${r.stderr}`).toBe(0);
    }
  }
}

describe('deploy/container/Containerfile', () => {
  const all = stages();
  const runtime = all[all.length - 1] as Stage;

  it('has a build stage and a runtime stage on a slim base, the runtime without the build tools', () => {
    expect(all.length).toBe(2);
    expect(all[0]?.name).toBe('build');
    expect(runtime.from).toMatch(/slim|distroless/);
    expect(runtime.steps.every((s) => s.op === 'COPY')).toBe(true); // nothing runs in the runtime stage
    expect(runtime.steps.filter((s) => s.from === 'build').flatMap((s) => s.args.slice(0, -1))).toEqual(expect.arrayContaining(['/src/node_modules', '/src/dist']));
    expect(runtime.entrypoint).toEqual(['/opt/keyring-exporter/bin/keyring-exporter']);
    expect(runtime.cmd).toEqual(['serve', '--path.procfs=/host/proc']);
  });

  it('its stages, carried out, make a runtime tree with no dev dependency that runs the exporter', () => {
    // The build stage compiles with tsc, a dev dependency, and prunes the dev dependencies afterwards.
    for (const s of all) carryOut(s, all);
    const app = join(rootOf(runtime), runtime.workdir);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'prom-client'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'express'))).toBe(true);
    const bin = join(app, 'bin', 'keyring-exporter');
    const fixture = join(REPO, 'test/fixtures/quota-full');
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    // No .git in the build stage and no --build-arg here: the revision is unknown, said so.
    expect(version.stdout).toMatch(new RegExp(`^keyring-exporter, version ${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version} \\(branch: unknown, revision: unknown\\)\n  build user: `));
    const metrics = spawnSync(process.execPath, [bin, 'metrics', '--path.procfs', fixture], { encoding: 'utf8' });
    expect(metrics.status, metrics.stderr).toBe(0);
    expect(metrics.stdout).toContain('keyring_user_quota_keys{uid="40110"} 200');
    const audit = spawnSync(process.execPath, [bin, 'audit', '--path.procfs', fixture, '--format', 'json', '--fail-on', 'never'], { encoding: 'utf8' });
    expect(audit.status, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout).audit.findings.length).toBeGreaterThan(0);
  }, 120_000);
});
