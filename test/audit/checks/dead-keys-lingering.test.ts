import { describe, expect, it } from 'vitest';
import { deadKeysLingering as check } from '../../../src/audit/checks/dead-keys-lingering.js';
import { brief, configWith, fixture, inventory, run, SYSCTLS, wellFormed, type LineFields } from './support.js';

const k = (serial: number, uid: number, flags: string, expiry: string, text = 'k: 1'): LineFields => ({ serial, flags, expiry, uid, gid: uid, text });

describe('dead_keys_lingering', () => {
  it('fires: the captured expired, revoked and invalidated keys (key-states), counted by state, info only', async () => {
    const findings = run(await fixture('key-states'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([['info', 0, undefined]]);
    expect(findings[0]?.message).toBe('uid 0 still has 1 expired, 1 revoked, 1 invalidated keys listed');
    expect(findings[0]?.remediation).toContain('kernel.keys.gc_delay (300 s)');
    expect(findings[0]?.remediation).toContain('invalidated ones are collected at once');
  });

  it('fires: a revoked _ses its process still pins (session-anonymous), an expired key (expiry-units)', async () => {
    expect(run(await fixture('session-anonymous'), check).map((f) => f.message)).toEqual(['uid 0 still has 1 revoked key listed']);
    expect(run(await fixture('expiry-units'), check).map((f) => f.message)).toEqual(['uid 0 still has 1 expired key listed']);
  });

  it('one finding per uid, the gc_delay the host has', () => {
    const keys = [{ ...k(0x10, 40001, 'I--Q--i', 'perm', '_ses: empty'), type: 'keyring', perm: '3f030000' }, k(0x11, 40001, 'I--Q--i', 'perm'), k(0x20, 40002, 'IR-Q---', 'expd', 'k: 0')];
    const findings = run(inventory(keys, [], { ...SYSCTLS, gc_delay: '600\n' }), check);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([
      ['info', 40001, 'uid 40001 still has 2 invalidated keys listed'],
      ['info', 40002, 'uid 40002 still has 1 revoked key listed'],
    ]);
    expect(findings[1]?.remediation).toContain('(600 s)');
  });

  it('boundary: a key with 1 s left is not expired yet; one that shows expd is', () => {
    expect(run(inventory([k(0x10, 40001, 'I--Q---', '1s')]), check)).toEqual([]);
    expect(run(inventory([k(0x10, 40001, 'I--Q---', 'expd')]), check)).toHaveLength(1);
  });

  it('stays quiet on an ordinary host and for allow-listed uids', async () => {
    expect(run(await fixture('root-host-baseline'), check)).toEqual([]);
    expect(run(await fixture('key-states'), check, configWith({ allow: { uids: [0] } }))).toEqual([]);
  });
});
