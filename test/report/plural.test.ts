import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { plural } from '../../src/report/plural.js';

describe('counts in reports', () => {
  it('are singular for one', () => {
    expect([0, 1, 2].map((n) => plural(n, 'uid'))).toEqual(['0 uids', '1 uid', '2 uids']);
  });

  it('read so in the audit text of a host with one uid', async () => {
    let out = '';
    const io: CliIo = { stdout: (s) => void (out += s), stderr: () => undefined, stdoutIsTty: false, clock: () => 1_800_000_000 };
    await runCli(['audit', '--path.procfs', new URL('../fixtures/key-types/', import.meta.url).pathname, '--fail-on', 'never'], io);
    expect(out.split('\n')[0]).toMatch(/keys visible \(\d+ suspect\), 1 uid in \/proc\/key-users$/);
  });
});
