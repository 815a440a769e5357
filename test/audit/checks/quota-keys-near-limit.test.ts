import { describe, expect, it } from 'vitest';
import { quotaKeysNearLimit as check } from '../../../src/audit/checks/quota-keys-near-limit.js';
import { brief, configWith, fixture, inventory, keyUser, run, wellFormed } from './support.js';

describe('quota_keys_near_limit', () => {
  it('fires: the captured uid at 200/200 keys (quota-full) is critical, and nobody else', async () => {
    const findings = run(await fixture('quota-full'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([['critical', 40110, undefined]]);
    expect(findings[0]?.message).toBe(
      'uid 40110 uses 200 of its 200 keys of key quota (100%); at the limit, add_key and keyctl fail with EDQUOT ("Disk quota exceeded"); ' +
        '/proc/keys shows 199 user keys named "kre-fixture-quota-<n>", 1 session keyring named "_ses"',
    );
    expect(findings[0]?.remediation).toContain('kernel.keys.maxkeys=20000');
  });

  it('stays quiet: a uid near its byte quota but not its key quota (quota-bytes, 14/200 keys)', async () => {
    expect(run(await fixture('quota-bytes'), check)).toEqual([]);
  });

  it.each([
    [0, []],
    [159, []],
    [160, ['warning']], // exactly 80 %
    [189, ['warning']],
    [190, ['critical']], // exactly 95 %
    [200, ['critical']],
    [203, ['critical']], // quota overrun (session, process, _req keyrings may exceed the limit)
  ])('%i of 200 keys: %j (warning from 80 %, critical from 95 %)', (qnkeys, severities) => {
    const inv = inventory([], [keyUser(40001, qnkeys + 1, qnkeys + 1, qnkeys, 200, 10, 20000)]);
    expect(run(inv, check).map((f) => f.severity)).toEqual(severities);
  });

  it('judges root against root_maxkeys, as /proc/key-users prints it', () => {
    expect(brief(run(inventory([], [keyUser(0, 800_002, 800_002, 800_000, 1_000_000, 500, 25_000_000)]), check))).toEqual([['warning', 0, undefined]]);
    expect(run(inventory([], [keyUser(0, 10, 10, 3, 1_000_000, 200, 25_000_000)]), check)).toEqual([]);
  });

  it('follows the configured ratios', () => {
    const inv = inventory([], [keyUser(40001, 100, 100, 100, 200, 10, 20000)]);
    expect(run(inv, check)).toEqual([]);
    expect(run(inv, check, configWith({ quota: { warningRatio: 0.5, criticalRatio: 0.9 } })).map((f) => f.severity)).toEqual(['warning']);
  });

  it('skips allow-listed uids and works without /proc/key-users', () => {
    const inv = inventory([], [keyUser(40001, 200, 200, 200, 200, 10, 20000)]);
    expect(run(inv, check, configWith({ allow: { uids: [40001] } }))).toEqual([]);
    expect(run(inventory([], []), check)).toEqual([]);
  });
});
