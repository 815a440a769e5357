import { describe, expect, it } from 'vitest';
import { parseIssues as check } from '../../../src/audit/checks/parse-issues.js';
import { buildInventory } from '../../../src/classify/inventory.js';
import { KEYS_SYSCTLS } from '../../../src/parser/keys-sysctl.js';
import { buildSnapshot, type FileRead } from '../../../src/parser/snapshot.js';
import { fixture, FIXTURES, keyUser, run, SYSCTLS, wellFormed } from './support.js';
import { snapshotOf } from '../../helpers/snapshot.js';

const ok = (path: string, text: string): FileRead => ({ path, status: 'ok', text });

describe('parse_issues', () => {
  it('fires: one warning per damaged file, with its line, code and escaped text', () => {
    const inv = buildInventory(snapshotOf('garbage \u001b[2J line\n', keyUser(0, 3, 3, 0, 1_000_000, 0, 25_000_000) + '\n', SYSCTLS));
    const findings = run(inv, check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.line])).toEqual([['warning', 1]]);
    expect(findings[0]?.message).toMatch(/^keys: a problem: line 1: unparseable_line: /);
    expect(findings[0]?.message).not.toContain('\u001b');
  });

  it('fires once per file however many lines are damaged: the count and the first three', () => {
    const garbage = Array.from({ length: 5000 }, (_, i) => `garbage ${i}\n`).join('');
    const inv = buildInventory(snapshotOf(garbage, keyUser(0, 3, 3, 0, 1_000_000, 0, 25_000_000) + '\n', SYSCTLS));
    const findings = run(inv, check);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toMatch(/^keys: 5000 problems, the first 3: line 1: unparseable_line: .*; line 2: .*; line 3: /);
  });

  it('fires: a file that could not be read, with its error', () => {
    const raw = {
      keys: { path: '/proc/keys', status: 'denied', error: 'EACCES: permission denied' } as FileRead,
      keyUsers: { path: '/proc/key-users', status: 'absent', error: 'ENOENT' } as FileRead,
      sysctls: Object.fromEntries(KEYS_SYSCTLS.map((n) => [n, ok(n, SYSCTLS[n])])) as Record<(typeof KEYS_SYSCTLS)[number], FileRead>,
    };
    raw.sysctls.maxkeys = { path: '/proc/sys/kernel/keys/maxkeys', status: 'failed', error: 'EIO: i/o error' };
    const findings = run(buildInventory(buildSnapshot(raw, 1_800_000_000)), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['warning', '/proc/keys could not be read (denied: EACCES: permission denied): what it shows was not audited'],
      ['warning', '/proc/key-users could not be read (absent: ENOENT): what it shows was not audited'],
      ['warning', '/proc/sys/kernel/keys/maxkeys could not be read (failed: EIO: i/o error): what it shows was not audited'],
    ]);
  });

  it('boundary: a kernel without persistent keyrings lacks persistent_keyring_expiry: info, not a warning', () => {
    const { persistent_keyring_expiry: _p, ...rest } = SYSCTLS;
    const findings = run(buildInventory(snapshotOf('', keyUser(0, 3, 3, 0, 1_000_000, 0, 25_000_000) + '\n', rest)), check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['info', 'persistent_keyring_expiry is absent: this kernel has no persistent keyrings (CONFIG_PERSISTENT_KEYRINGS off, or before Linux 3.13)'],
    ]);
    const { gc_delay: _g, ...noGcDelay } = SYSCTLS;
    expect(run(buildInventory(snapshotOf('', keyUser(0, 3, 3, 0, 1_000_000, 0, 25_000_000) + '\n', noGcDelay)), check).map((f) => f.severity)).toEqual(['warning']);
  });

  it('stays quiet on every capture: the kernel printed every line, hard descriptions and forged lines included', async () => {
    for (const name of FIXTURES) expect(run(await fixture(name), check), name).toEqual([]);
  });
});
