import { describe, expect, it } from 'vitest';
import { quotaBytesNearLimit as check } from '../../../src/audit/checks/quota-bytes-near-limit.js';
import { brief, configWith, fixture, inventory, keyUser, run, wellFormed } from './support.js';

describe('quota_bytes_near_limit', () => {
  it('fires: the captured uid at 19980/20000 bytes with 14 keys (quota-bytes) is critical', async () => {
    const findings = run(await fixture('quota-bytes'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([['critical', 40111, undefined]]);
    expect(findings[0]?.message).toMatch(/^uid 40111 uses 19980 of its 20000 bytes of byte quota \(100%\)/);
  });

  it('stays quiet: a uid at its key quota whose bytes are low (quota-full, 5268/20000 bytes)', async () => {
    expect(run(await fixture('quota-full'), check)).toEqual([]);
  });

  it.each([
    [15_999, []],
    [16_000, ['warning']], // exactly 80 %
    [18_999, ['warning']],
    [19_000, ['critical']], // exactly 95 %
    [20_000, ['critical']],
  ])('%i of 20000 bytes: %j (warning from 80 %, critical from 95 %)', (qnbytes, severities) => {
    const inv = inventory([], [keyUser(40001, 3, 3, 3, 200, qnbytes, 20000)]);
    expect(run(inv, check).map((f) => f.severity)).toEqual(severities);
  });

  it('judges root against root_maxbytes', () => {
    expect(brief(run(inventory([], [keyUser(0, 10, 10, 3, 1_000_000, 24_000_000, 25_000_000)]), check))).toEqual([['critical', 0, undefined]]);
  });

  it('skips allow-listed uids', () => {
    expect(run(inventory([], [keyUser(40001, 3, 3, 3, 200, 20000, 20000)]), check, configWith({ allow: { uids: [40001] } }))).toEqual([]);
  });
});
