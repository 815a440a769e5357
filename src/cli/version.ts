import { readFileSync } from 'node:fs';

/** The package version, found by walking up from this file to the package.json that names the project. */
export function packageVersion(): string {
  let url = new URL('.', import.meta.url);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keyring-exporter' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here; keep walking up
    }
    url = new URL('..', url);
  }
  return 'unknown';
}
