/**
 * The child of read-keys-as.ts, started as another uid: `node read-keys-child.js PATH` reads PATH (/proc/keys)
 * once, asks KEYCTL_DESCRIBE about every serial a line of it starts with, and writes one JSON object to stdout:
 * `{ bytes: <the file, base64>, answers: [...] }`, with `bridgeError` and no answers when keyctl.ts cannot
 * load here. A file it cannot read: a one-line reason on stderr and exit code 1.
 *
 * Descriptions are latin1 strings; stdout is UTF-8, which the parent decodes as a whole, so they arrive intact.
 */
import { readFileSync } from 'node:fs';
import { loadKeyctl } from './keyctl.js';
import { listedSerials } from './read-keys-as.js';

async function main(path: string | undefined): Promise<void> {
  if (path === undefined) throw new Error('usage: read-keys-child.js PATH');
  const bytes = readFileSync(path);
  const keyctl = await loadKeyctl();
  const result =
    'error' in keyctl
      ? { bytes: bytes.toString('base64'), answers: [], bridgeError: keyctl.error }
      : { bytes: bytes.toString('base64'), answers: listedSerials(bytes).map((s) => keyctl.describe(s)) };
  // A pipe's writes are synchronous on Linux: the whole object is out before the process ends.
  process.stdout.write(JSON.stringify(result));
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
