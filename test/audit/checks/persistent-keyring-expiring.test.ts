import { describe, expect, it } from 'vitest';
import { persistentKeyringExpiring as check, within } from '../../../src/audit/checks/persistent-keyring-expiring.js';
import { brief, configWith, fixture, inventory, run, wellFormed, type LineFields } from './support.js';

/** `_persistent.1000` as persistent.c makes it: not in quota, invalid gid, 1f030000. */
const persistent = (expiry: string, links: number, extra: Partial<LineFields> = {}): LineFields => ({
  serial: 0x10,
  type: 'keyring',
  flags: 'I------',
  expiry,
  perm: '1f030000',
  uid: 1000,
  gid: 65534,
  text: `_persistent.1000: ${links === 0 ? 'empty' : links}`,
  ...extra,
});

describe('persistent_keyring_expiring', () => {
  it.each([
    ['11h', 1, 'warning', 'the persistent keyring of uid 1000 holds 1 key and expires in 11 h to 12 h'],
    ['59m', 2, 'warning', 'the persistent keyring of uid 1000 holds 2 keys and expires in 59 min to 1 h'],
    ['45s', 3, 'warning', 'the persistent keyring of uid 1000 holds 3 keys and expires in 45 s'],
    ['expd', 4, 'critical', 'the persistent keyring of uid 1000 has expired and still holds 4 keys: the garbage collector is about to remove them'],
  ])('fires: expiry %s holding %i', (expiry, links, severity, message) => {
    const findings = run(inventory([persistent(expiry, links)]), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.serial, f.message])).toEqual([[severity, 1000, '00000010', message]]);
    expect(findings[0]?.remediation).toContain('keyctl get_persistent @u');
    expect(findings[0]?.remediation).toContain('KCM:');
  });

  it.each([
    ['12h', 1, 'the lower bound is exactly 12 h: not within'],
    ['2d', 1, 'the default 3 days, a little later'],
    ['1h', 0, 'empty: nothing to lose'],
    ['expd', 0, 'expired but empty'],
    ['perm', 5, 'no expiry'],
  ])('stays quiet: expiry %s holding %i (%s)', (expiry, links) => {
    expect(run(inventory([persistent(expiry, links)]), check)).toEqual([]);
  });

  it('stays quiet for keyrings that are not the kernel\'s persistent keyring', () => {
    // A user-made _persistent.1000 is in quota (an impostor), a session keyring expiring is not this check's.
    expect(run(inventory([persistent('1h', 2, { flags: 'I--Q---', gid: 1000 })]), check)).toEqual([]);
    expect(run(inventory([{ serial: 0x10, type: 'keyring', expiry: '1h', perm: '3f030000', uid: 1000, gid: 1000, text: '_ses: 2' }]), check)).toEqual([]);
  });

  it('captured persistent: _persistent.0 holds 1 key and shows 2d, i.e. 2 to 3 days; the threshold is a strict bound', async () => {
    expect(run(await fixture('persistent'), check)).toEqual([]);
    expect(run(await fixture('persistent'), check, configWith({ persistent: { expiringWithinSeconds: 2 * 86400 } }))).toEqual([]);
    const findings = run(await fixture('persistent'), check, configWith({ persistent: { expiringWithinSeconds: 2 * 86400 + 1 } }));
    expect(brief(findings)).toEqual([['warning', 0, '2a2ba0e4']]);
    expect(findings[0]?.message).toBe('the persistent keyring of uid 0 holds 1 key and expires in 2 d to 3 d');
  });

  it('captured persistent-expiry-lowered: both keyrings expire within 2 h but hold nothing', async () => {
    const inv = await fixture('persistent-expiry-lowered');
    expect(inv.keys.filter((k) => k.class === 'persistent').map((k) => [k.expiry.raw, k.summary])).toEqual([
      ['1h', expect.objectContaining({ kind: 'keyring', links: 0 })],
      ['1h', expect.objectContaining({ kind: 'keyring', links: 0 })],
    ]);
    expect(run(inv, check)).toEqual([]);
  });

  it('skips allow-listed uids', () => {
    expect(run(inventory([persistent('1h', 1)]), check, configWith({ allow: { uids: [1000] } }))).toEqual([]);
  });

  it.each([
    [45, 45, 'in 45 s'],
    [3540, 3599, 'in 59 min to 1 h'],
    [7200, 10_799, 'in 2 h to 3 h'],
    [172_800, 259_199, 'in 2 d to 3 d'],
  ])('within(%i, %i) is "%s"', (lo, hi, text) => {
    expect(within(lo, hi)).toBe(text);
  });
});
