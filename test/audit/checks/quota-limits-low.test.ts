import { describe, expect, it } from 'vitest';
import { quotaLimitsLow as check } from '../../../src/audit/checks/quota-limits-low.js';
import { configWith, fixture, inventory, keyUser, run, SYSCTLS, wellFormed, type LineFields } from './support.js';

const containerId = 'ab'.repeat(32);
/** runc: `_ses.<id>`, made joinable with setperm 0x3f1b0000. */
const runc = (uid: number, serial = 0x10): LineFields => ({ serial, type: 'keyring', perm: '3f1b0000', uid, gid: uid, text: `_ses.${containerId}: empty` });
/** crun: the bare container id, as KEYCTL_JOIN_SESSION_KEYRING(name) creates it (0x3f130000). */
const crun = (uid: number, serial = 0x20): LineFields => ({ serial, type: 'keyring', perm: '3f130000', uid, gid: uid, text: `${containerId}: empty` });
const named = (uid: number, serial = 0x30): LineFields => ({ serial, type: 'keyring', perm: '3f130000', uid, gid: uid, text: 'build-42: empty' });
const anonymous = (uid: number, serial = 0x40): LineFields => ({ serial, type: 'keyring', perm: '3f030000', uid, gid: uid, text: '_ses: 1' });
const messages = (inv: Parameters<typeof run>[0], config?: Parameters<typeof run>[2]): string[] => run(inv, check, config).map((f) => f.message);

describe('quota_limits_low', () => {
  it('fires: root-owned container keyrings with the pre-3.17 root limits, one warning per low sysctl', () => {
    const inv = inventory([runc(0), crun(0)], [keyUser(0, 4, 4, 2, 200, 150, 20000)], { ...SYSCTLS, root_maxkeys: '200\n', root_maxbytes: '20000\n' });
    const findings = run(inv, check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([
      ['warning', undefined, '2 container keyrings owned by root but kernel.keys.root_maxkeys is 200, below the 1000000 container hosts use'],
      ['warning', undefined, '2 container keyrings owned by root but kernel.keys.root_maxbytes is 20000, below the 25000000 container hosts use'],
    ]);
    expect(findings[0]?.remediation).toContain("'kernel.keys.root_maxkeys = 1000000'");
    expect(findings[0]?.remediation).toContain('/etc/sysctl.d/');
  });

  it.each([
    ['runc `_ses.<64 hex>`', runc],
    ['crun `<64 hex>` joined by name', crun],
    ['any other named session keyring', named],
  ])('fires: a rootless %s with the default per-user limits (maxkeys and maxbytes)', (_name, make) => {
    const inv = inventory([make(40001)], [keyUser(40001, 1, 1, 1, 200, 70, 20000)]);
    expect(messages(inv)).toEqual([
      '1 container keyring owned by non-root users (rootless or user-namespaced runtimes) but kernel.keys.maxkeys is 200, below the 20000 container hosts use',
      '1 container keyring owned by non-root users (rootless or user-namespaced runtimes) but kernel.keys.maxbytes is 20000, below the 500000 container hosts use',
    ]);
  });

  it.each([
    ['only anonymous `_ses` keyrings (logins, services)', [anonymous(0), anonymous(40001, 0x41)]],
    ['a 64-hex keyring made with add_key, not a session keyring (3f010000)', [{ ...crun(40001), perm: '3f010000' }]],
    ['no keys at all', []],
  ])('stays quiet with %s, even at the default limits', (_name, keys) => {
    expect(run(inventory(keys as LineFields[], [keyUser(40001, 2, 2, 2, 200, 20, 20000)]), check)).toEqual([]);
  });

  it.each([
    ['999999', 1],
    ['1000000', 0], // exactly what container hosts set
    ['2000000', 0],
  ])('boundary: root_maxkeys %s with root container keyrings: %i finding', (value, count) => {
    const inv = inventory([runc(0)], [keyUser(0, 3, 3, 1, Number(value), 70, 25_000_000)], { ...SYSCTLS, root_maxkeys: `${value}\n` });
    expect(run(inv, check)).toHaveLength(count);
  });

  it('judges root-owned keyrings by the root_* limits only, and non-root ones by the per-user limits only', () => {
    // Per-user limits at the defaults do not matter to root's containers; raised per-user limits make rootless quiet.
    expect(messages(inventory([runc(0)], [keyUser(0, 3, 3, 1, 1_000_000, 70, 25_000_000)]))).toEqual([]);
    const raised = { ...SYSCTLS, maxkeys: '20000\n', maxbytes: '500000\n', root_maxkeys: '200\n' };
    expect(messages(inventory([runc(40001)], [keyUser(40001, 1, 1, 1, 20000, 70, 500_000)], raised))).toEqual([]);
  });

  it('captured: the root-owned named, runc and crun keyrings of session-named pass the default limits, and count when more is wanted', async () => {
    expect(run(await fixture('session-named'), check)).toEqual([]);
    const want = configWith({ limits: { rootMaxkeys: 2_000_000 } });
    expect(messages(await fixture('session-named'), want)).toEqual([
      '5 container keyrings owned by root but kernel.keys.root_maxkeys is 1000000, below the 2000000 container hosts use',
    ]);
  });

  it('captured: 60 anonymous sessions of uid 40112 (many-sessions) are not container keyrings', async () => {
    expect(run(await fixture('many-sessions'), check)).toEqual([]);
  });

  it('says nothing of a limit it could not read, and skips allow-listed keyrings', () => {
    const { maxkeys: _maxkeys, ...withoutMaxkeys } = SYSCTLS;
    expect(messages(inventory([runc(40001)], [keyUser(40001, 1, 1, 1, 200, 70, 20000)], withoutMaxkeys))).toEqual([
      expect.stringContaining('kernel.keys.maxbytes is 20000'),
    ]);
    expect(run(inventory([runc(40001)], [keyUser(40001, 1, 1, 1, 200, 70, 20000)]), check, configWith({ allow: { descriptions: ['_ses.*'] } }))).toEqual([]);
    expect(run(inventory([runc(40001)], [keyUser(40001, 1, 1, 1, 200, 70, 20000)]), check, configWith({ allow: { uids: [40001] } }))).toEqual([]);
  });
});
