/** The real binary against what a shell does to it: a closed pipe, a strict umask. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sh } from '../helpers/run-bin.js';

// More JSON than a pipe holds (64 KB), so the writer is still writing when its reader goes.
const fixture = new URL('../fixtures/quota-full/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kre-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the process', () => {
  it('stops quietly when its reader goes away (keys | head): no stack trace, the code of SIGPIPE', () => {
    const r = sh(`"$BIN" keys --format json --path.procfs "${fixture}" | head -c 10 >/dev/null; echo "rc=\${PIPESTATUS[0]}" >&2`);
    expect(r.stderr).toBe('rc=141\n');
  });

  it('writes the textfile readable by node_exporter under a strict umask', () => {
    const out = join(dir, 'keyring.prom');
    const r = sh(`umask 077; "$BIN" metrics --path.procfs "${fixture}" --output "${out}"`);
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o644);
  });
});
