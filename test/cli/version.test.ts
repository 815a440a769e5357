/**
 * `--version` and keyring_exporter_build_info say what was built, from what, as Prometheus' own programs do
 * (prometheus/common's version package): the build records it (scripts/build-info.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../../scripts/build-info.js';
import { buildInfo as buildInfoOfPackage, versionText } from '../../src/cli/version.js';
import { hasCommand, hasPath, itWith } from '../helpers/prerequisites.js';

describe('build info', () => {
  itWith([hasCommand('git')])("records the commit and branch of the checkout the package root is the top of, else the environment's, else unknown", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-build-info-'));
    try {
      const git = (...args: string[]): string => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).stdout.trim();
      const root = join(dir, 'pkg');
      spawnSync('mkdir', [root]);
      // Inside another repository, the package is not its commit.
      git('init', '-q', '-b', 'outer');
      expect(buildInfo(root, new Date(0), {}).revision).toBe('unknown');
      expect(buildInfo(root, new Date(0), { KEYRING_EXPORTER_REVISION: 'abc123', KEYRING_EXPORTER_BRANCH: 'release-1' })).toMatchObject({ revision: 'abc123', branch: 'release-1' });
      expect(buildInfo(root, new Date(0), { KEYRING_EXPORTER_REVISION: '' }).revision).toBe('unknown');
      spawnSync('git', ['-C', root, 'init', '-q', '-b', 'release-2']);
      writeFileSync(join(root, 'f'), 'x');
      spawnSync('git', ['-C', root, 'add', 'f']);
      spawnSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'c']);
      const head = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
      expect(head).toMatch(/^[0-9a-f]{40}$/);
      expect(buildInfo(root, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), { KEYRING_EXPORTER_REVISION: 'ignored' })).toMatchObject({
        revision: head,
        branch: 'release-2',
        buildDate: '20260102-03:04:05',
        buildUser: expect.stringMatching(/^\S+@\S+$/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--version', () => {
  it("prints what prometheus/common's version.Print prints, with Node.js for Go", () => {
    const text = versionText({ version: '1.2.3', revision: 'f'.repeat(40), branch: 'main', buildUser: 'root@build', buildDate: '20261207-16:16:37' });
    expect(text.split('\n')).toEqual([
      `keyring-exporter, version 1.2.3 (branch: main, revision: ${'f'.repeat(40)})`,
      '  build user:       root@build',
      '  build date:       20261207-16:16:37',
      `  node version:     ${process.version}`,
      expect.stringMatching(/^ {2}platform: {9}linux\/(amd64|arm64)$/),
    ]);
  });
});

describe('a build of this checkout', () => {
  const built = new URL('../../dist/build-info.json', import.meta.url).pathname;
  itWith([hasPath(built, 'a build (npm run build)'), hasCommand('git')])('reports its commit in --version and keyring_exporter_build_info', () => {
    const info = buildInfoOfPackage();
    expect(info.revision).toMatch(/^[0-9a-f]{40}$/);
    const bin = new URL('../../bin/keyring-exporter', import.meta.url).pathname;
    const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(v.stdout).toContain(`revision: ${info.revision})`);
    const m = spawnSync(process.execPath, [bin, 'metrics', '--path.procfs', new URL('../fixtures/quota-full/', import.meta.url).pathname], { encoding: 'utf8' });
    expect(m.stdout).toMatch(new RegExp(`^keyring_exporter_build_info\\{version="[^"]+",revision="${info.revision}",nodejs_version="v[\\d.]+"\\} 1$`, 'm'));
  });
});
