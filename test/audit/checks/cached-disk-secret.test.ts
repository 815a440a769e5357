import { describe, expect, it } from 'vitest';
import { cachedDiskSecret as check } from '../../../src/audit/checks/cached-disk-secret.js';
import { configWith, FIXTURES, fixture, inventory, run, wellFormed, type LineFields } from './support.js';
import { hasCommand, isRoot, itWith } from '../../helpers/prerequisites.js';
import { sh, uniqueName } from '../../helpers/run-bin.js';

const passphrase = (serial: number, expiry: string, extra: Partial<LineFields> = {}): LineFields => ({ serial, type: 'user', uid: 0, gid: 0, perm: '3f010000', expiry, text: 'cryptsetup: 8', ...extra });

describe('cached_disk_secret', () => {
  it.each([
    ['perm', 'never expires'],
    ['59m', "expires in 59 min to 1 h, later than the 150 s ask-password caches it for"],
  ])('fires for root\'s cached passphrase with expiry %s', (expiry, held) => {
    const findings = run(inventory([passphrase(0x10, expiry)]), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.serial, f.message])).toEqual([
      ['warning', 0, '00000010', `root holds a disk passphrase cached by systemd's ask-password (user key 00000010) that ${held}`],
    ]);
    expect(findings[0]?.remediation).toContain('`keyctl revoke 16`');
  });

  it('fires for a dm-crypt volume key cryptsetup did not unlink', () => {
    const findings = run(inventory([{ serial: 0x20, type: 'logon', uid: 0, gid: 0, perm: '3f010000', expiry: 'perm', text: 'cryptsetup:1b2c-d0: 64' }]), check);
    expect(findings.map((f) => f.message)).toEqual(['root holds the dm-crypt volume key "cryptsetup:1b2c-d0" cryptsetup loaded (logon key 00000020) that never expires']);
  });

  it.each([
    ['ask-password\'s own 2.5 minutes', passphrase(0x10, '2m')],
    ['a revoked one', passphrase(0x10, 'expd', { flags: 'IR-Q---', text: 'cryptsetup: 0' })],
    ['another uid\'s key of that name', passphrase(0x10, 'perm', { uid: 1000, gid: 1000 })],
    ['a logon key of another name', { serial: 0x10, type: 'logon', uid: 0, gid: 0, perm: '3f010000', expiry: 'perm', text: 'fscrypt:1234: 64' }],
  ])('stays quiet for %s', (_name, key) => {
    expect(run(inventory([key]), check)).toEqual([]);
  });

  it('takes passphrase_max_seconds from the configuration, and stays quiet on every capture', async () => {
    expect(run(inventory([passphrase(0x10, '59m')]), check, configWith({ secrets: { passphraseMaxSeconds: 7200 } }))).toEqual([]);
    for (const name of FIXTURES) expect(run(await fixture(name), check), name).toEqual([]);
  });
});

const live = itWith([isRoot(), hasCommand('keyctl')]);

describe('cached_disk_secret, live', () => {
  live('root\'s "cryptsetup" keys as systemd and cryptsetup make them: held forever or long fires, ask-password\'s 150 s does not', () => {
    const name = uniqueName('vk');
    const r = sh(`cd / && keyctl session - bash -c '
      forever=$(keyctl add user cryptsetup pw1 @s)
      a=$(keyctl newring kre-a @s) && usual=$(keyctl add user cryptsetup pw2 $a) && keyctl timeout $usual 150
      b=$(keyctl newring kre-b @s) && long=$(keyctl add user cryptsetup pw3 $b) && keyctl timeout $long 3600
      vk=$(keyctl add logon "cryptsetup:${name}-d0" vk @s)
      for k in $forever $usual $long $vk; do printf "%08x\\n" $k; done
      "$BIN" audit --format json --fail-on never
      keyctl clear @s'`);
    expect(r.status, r.stderr).toBe(0);
    const [forever, usual, long, vk, ...json] = r.stdout.split('\n');
    const mine = (JSON.parse(json.join('\n')).audit.findings as { check: string; serial?: string; message: string }[]).filter((f) => f.check === 'cached_disk_secret' && [forever, usual, long, vk].includes(f.serial));
    expect(mine.map((f) => f.serial).sort()).toEqual([forever, long, vk].sort());
    expect(mine.find((f) => f.serial === long)?.message).toMatch(/that expires in \d+ (min|h) to \d+ (min|h), later than the 150 s ask-password caches it for$/);
    expect(mine.find((f) => f.serial === usual)).toBeUndefined();
  });
});
