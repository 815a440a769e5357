/**
 * Tests that need part of the real system (root, keyctl, promtool, the reference samples) declare it here.
 * Locally a missing prerequisite skips the test with its reason; under CI=true the test runs and FAILS with
 * that reason, so CI never passes by skipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it, type TestFunction } from 'vitest';

export interface Prerequisite {
  ok: boolean;
  what: string;
}

export const isRoot = (): Prerequisite => ({ ok: typeof process.getuid === 'function' && process.getuid() === 0, what: 'running as root' });

/** The Debian package of a command, where its name differs. */
const PACKAGE_OF: Record<string, string> = { keyctl: 'keyutils', 'systemd-analyze': 'systemd', setpriv: 'util-linux', flock: 'util-linux', promtool: 'prometheus', htpasswd: 'apache2-utils' };

export const hasCommand = (cmd: string): Prerequisite => ({
  ok: spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0,
  what: `the command ${cmd} (apt-get install ${PACKAGE_OF[cmd] ?? cmd})`,
});

export const hasPath = (path: string, what: string): Prerequisite => ({ ok: existsSync(path), what: `${what} at ${path}` });

/** `it` when every prerequisite holds; otherwise a skip locally, a failing test under CI. */
export function itWith(prereqs: Prerequisite[]): (name: string, fn: TestFunction, timeout?: number) => void {
  const missing = prereqs.filter((p) => !p.ok).map((p) => p.what);
  if (missing.length === 0) return (name, fn, timeout) => it(name, fn, timeout);
  if (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false')
    return (name) =>
      it(name, () => {
        throw new Error(`prerequisite missing: ${missing.join(', ')}`);
      });
  return (name) => it.skip(`${name} [needs ${missing.join(', ')}]`, () => undefined);
}
