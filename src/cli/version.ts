import { readFileSync } from 'node:fs';

/** The package's root: the directory of the package.json that names the project, walking up from this file. */
function packageRoot(): { url: URL; version: string } | null {
  let url = new URL('.', import.meta.url);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keyring-exporter' && typeof pkg.version === 'string') return { url, version: pkg.version };
    } catch {
      // not here; keep walking up
    }
    url = new URL('..', url);
  }
  return null;
}

/** The package version. */
export function packageVersion(): string {
  return packageRoot()?.version ?? 'unknown';
}

/** What the build recorded in dist/build-info.json (scripts/build-info.ts). */
export interface RecordedBuild {
  revision: string;
  branch: string;
  buildUser: string;
  /** As Go's version package writes it: 20060102-15:04:05, UTC. */
  buildDate: string;
}

/** The version and what the build recorded, as prometheus/common's version package has them. */
export interface BuildInfo extends RecordedBuild {
  version: string;
}

export function buildInfo(): BuildInfo {
  const root = packageRoot();
  const info: BuildInfo = { version: root?.version ?? 'unknown', revision: 'unknown', branch: 'unknown', buildUser: 'unknown', buildDate: 'unknown' };
  if (root === null) return info;
  try {
    const built = JSON.parse(readFileSync(new URL('dist/build-info.json', root.url), 'utf8')) as Partial<Record<keyof BuildInfo, unknown>>;
    for (const k of ['revision', 'branch', 'buildUser', 'buildDate'] as const) if (typeof built[k] === 'string') info[k] = built[k];
  } catch {
    // run from sources that were never built with npm run build: unknown
  }
  return info;
}

/** Go's GOARCH for Node's process.arch, as Prometheus' programs name their platform. */
const GOARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** `--version`, in the layout of prometheus/common's version.Print. */
export function versionText(b: BuildInfo = buildInfo()): string {
  return [
    `keyring-exporter, version ${b.version} (branch: ${b.branch}, revision: ${b.revision})`,
    `  build user:       ${b.buildUser}`,
    `  build date:       ${b.buildDate}`,
    `  node version:     ${process.version}`,
    `  platform:         ${process.platform}/${GOARCH[process.arch] ?? process.arch}`,
  ].join('\n');
}
