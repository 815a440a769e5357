// Tests that run the real binary (bin/keyring-exporter → dist/) need a fresh build of the sources, and one that
// the throwaway uids the tests act as can read (helpers/runtime-copy.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, RUNTIME_COPY, RUNTIME_PARTS } from './helpers/runtime-copy.js';

/** Whether an unprivileged uid can read the build where it is (always true when not root: no uid to switch to). */
function readableByOthers(): boolean {
  if (process.getuid?.() !== 0) return true;
  const r = spawnSync('setpriv', ['--reuid=40000', '--regid=40000', '--clear-groups', 'test', '-r', join(REPO, 'dist', 'src', 'cli', 'main.js')]);
  return r.error !== undefined || r.status === 0; // without setpriv, no test switches uid either
}

export default function setup(): () => void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  rmSync(RUNTIME_COPY, { recursive: true, force: true });
  if (!readableByOthers()) {
    mkdirSync(RUNTIME_COPY, { mode: 0o755 });
    chmodSync(RUNTIME_COPY, 0o755);
    for (const part of RUNTIME_PARTS) {
      // Hard links when /tmp is on the same file system (instant), a copy when it is not.
      const r = spawnSync('cp', ['-al', join(REPO, part), RUNTIME_COPY]);
      if (r.status !== 0) execFileSync('cp', ['-a', join(REPO, part), RUNTIME_COPY]);
    }
    console.log(`global-setup: ${REPO} is not readable by other uids; the tests run the exporter from ${RUNTIME_COPY}`);
  }
  return () => rmSync(RUNTIME_COPY, { recursive: true, force: true });
}
