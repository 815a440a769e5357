import { describe, expect, it } from 'vitest';
import { sessionKeyringLeak as check } from '../../../src/audit/checks/session-keyring-leak.js';
import { brief, configWith, fixture, inventory, keyUser, run, wellFormed, type LineFields } from './support.js';

const sessions = (uid: number, n: number, text = '_ses: 1', perm = '3f030000'): LineFields[] =>
  Array.from({ length: n }, (_, i) => ({ serial: 0x100 + i, type: 'keyring', perm, uid, gid: uid, text }));

describe('session_keyring_leak', () => {
  it('fires: 60 live _ses keyrings of uid 40112 (many-sessions) are 30 % of its 200-key quota', async () => {
    const findings = run(await fixture('many-sessions'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([['warning', 40112, undefined]]);
    expect(findings[0]?.message).toBe('uid 40112 has 60 live session keyrings (30% of its 200-key quota) among the keys this reader can see');
    expect(findings[0]?.remediation).toMatch(/as uid 40112, `setpriv --reuid=40112 --regid=40112 --clear-groups keyctl list 0x[0-9a-f]{8}`/);
    expect(findings[0]?.remediation).toContain('crun issue 1148');
    expect(findings[0]?.remediation).toContain('revoke');
  });

  it.each([
    ['quotaShare 0.29', { quotaShare: 0.29 }, 1],
    ['quotaShare 0.3: exactly 60 of 200, not more', { quotaShare: 0.3 }, 0],
    ['maxCount 59 (share out of the way)', { quotaShare: 1, maxCount: 59 }, 1],
    ['maxCount 60: exactly 60, not more', { quotaShare: 1, maxCount: 60 }, 0],
  ])('captured many-sessions with %s: %i finding', async (_name, sessionsConfig, count) => {
    expect(run(await fixture('many-sessions'), check, configWith({ sessions: sessionsConfig }))).toHaveLength(count);
  });

  it.each([
    [50, 0], // exactly 25 % of 200
    [51, 1],
  ])('boundary: %i sessions of a 200-key quota: %i finding', (n, count) => {
    const inv = inventory(sessions(40002, n), [keyUser(40002, n, n, n, 200, n * 9, 20000)]);
    expect(run(inv, check)).toHaveLength(count);
  });

  it('counts named session keyrings (runc, crun, keyctl session NAME) with the anonymous ones, and no other keyring', () => {
    const keys = [
      ...sessions(40003, 30),
      ...sessions(40003, 30, 'build-7: empty', '3f130000').map((k, i) => ({ ...k, serial: 0x200 + i })),
      ...sessions(40003, 100, 'plain: empty', '3f010000').map((k, i) => ({ ...k, serial: 0x300 + i })),
    ];
    const findings = run(inventory(keys, [keyUser(40003, 160, 160, 160, 200, 2000, 20000)]), check);
    expect(findings.map((f) => f.message)).toEqual(['uid 40003 has 60 live session keyrings (30% of its 200-key quota) among the keys this reader can see']);
  });

  it('without a /proc/key-users line only the count threshold applies', () => {
    expect(run(inventory(sessions(40004, 60), []), check)).toEqual([]);
    expect(run(inventory(sessions(40004, 60), []), check, configWith({ sessions: { maxCount: 59 } })).map((f) => f.message)).toEqual([
      'uid 40004 has 60 live session keyrings among the keys this reader can see',
    ]);
  });

  it('stays quiet on ordinary hosts and for allow-listed uids', async () => {
    for (const name of ['root-host-baseline', 'session-anonymous', 'session-named', 'user-session-fallback'] as const) expect(run(await fixture(name), check), name).toEqual([]);
    expect(run(await fixture('many-sessions'), check, configWith({ allow: { uids: [40112] } }))).toEqual([]);
  });
});
