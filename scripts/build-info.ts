/**
 * Writes dist/build-info.json once the build is done (`npm run build`): what `--version` and
 * keyring_exporter_build_info report, as prometheus/common's version package reports a Go program's: the git
 * revision and branch the build was made from, who built it where, and when.
 *
 * The revision and branch are git's where the package root is a git checkout's top, else
 * KEYRING_EXPORTER_REVISION and KEYRING_EXPORTER_BRANCH (a container build copies no .git), else "unknown".
 *
 *   node dist/scripts/build-info.js [PACKAGE_ROOT]     (default: the current directory)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { RecordedBuild } from '../src/cli/version.js';


function git(root: string, args: string[]): string | undefined {
  try {
    const out = execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

export function buildInfo(root: string, now: Date = new Date(), env: NodeJS.ProcessEnv = process.env): RecordedBuild {
  // Only the checkout the package is the top of: a package built inside some other repository is not its commit.
  const top = git(root, ['rev-parse', '--show-toplevel']);
  const inGit = top !== undefined && realpathSync(top) === realpathSync(root);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const d = now;
  const fromEnv = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  return {
    revision: (inGit ? git(root, ['rev-parse', 'HEAD']) : undefined) ?? fromEnv('KEYRING_EXPORTER_REVISION') ?? 'unknown',
    branch: (inGit ? git(root, ['rev-parse', '--abbrev-ref', 'HEAD']) : undefined) ?? fromEnv('KEYRING_EXPORTER_BRANCH') ?? 'unknown',
    buildUser: `${userInfo().username}@${hostname()}`,
    buildDate: `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${realpathSync(process.argv[1])}`).href) {
  const root = process.argv[2] ?? process.cwd();
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify(buildInfo(root), null, 2)}\n`);
}
