/**
 * Where the tests' unprivileged processes run the exporter from. Tests act as throwaway uids (setpriv), which
 * must be able to read bin/, dist/ and node_modules/. A clone under a private directory (/root, mode 0700, is
 * where a new user on a fresh machine clones it) is out of their reach, so global-setup.ts then makes a copy
 * they can read: hard links (cp -al) under /tmp, made for each run and removed after it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
export const RUNTIME_COPY = join(tmpdir(), `keyring-exporter-runtime-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}`);
/** What a runtime needs: the launcher, the build, the dependencies and package.json (cli/version.ts reads it). */
export const RUNTIME_PARTS = ['bin', 'dist', 'node_modules', 'package.json'];

/** The root of the exporter as the tests run it: the repository, or its readable copy when there is one. */
export function runtimeRoot(): string {
  return existsSync(join(RUNTIME_COPY, 'bin', 'keyring-exporter')) ? RUNTIME_COPY : REPO;
}
