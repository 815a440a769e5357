/** The four Kerberos checks: each fires on a case and stays quiet on another. */
import { describe, expect, it } from 'vitest';
import { kerberosCachesPilingUp } from '../../../src/audit/checks/kerberos-caches-piling-up.js';
import { kerberosExpiredTickets } from '../../../src/audit/checks/kerberos-expired-tickets.js';
import { kerberosQuotaShare } from '../../../src/audit/checks/kerberos-quota-share.js';
import { kerberosTgtExpiring } from '../../../src/audit/checks/kerberos-tgt-expiring.js';
import { configWith, fixture, inventory, keyUser, run, wellFormed, type LineFields } from './support.js';

const UID = 1000;
const tgt = (serial: number, expiry: string, flags = 'I--Q---'): LineFields => ({ serial, uid: UID, gid: UID, expiry, flags, text: 'krbtgt/EXAMPLE.ORG@EXAMPLE.ORG: 612' });
const princ = (serial: number): LineFields => ({ serial, uid: UID, gid: UID, text: '__krb5_princ__: 29' });

describe('kerberos_tgt_expiring', () => {
  it('fires for a TGT ending within the threshold, and says when the first ends', async () => {
    const findings = run(await fixture('kerberos'), kerberosTgtExpiring);
    wellFormed(findings, kerberosTgtExpiring);
    expect(findings.map((f) => [f.uid, f.message])).toEqual([
      [40113, 'uid 40113 holds 3 Kerberos TGTs (realm KRE-FIXTURE.TEST) ending within 60 min, the first in 9 min to 10 min: jobs using those caches cannot authenticate after'],
    ]);
    expect(findings[0]?.remediation).toContain('kinit -R');
  });
  it('stays quiet for a TGT with hours left, an expired one (kerberos_expired_tickets), and below a lower threshold', async () => {
    expect(run(inventory([tgt(0x10, '9h'), tgt(0x11, 'expd', 'I--Q---')]), kerberosTgtExpiring)).toEqual([]);
    expect(run(await fixture('kerberos'), kerberosTgtExpiring, configWith({ kerberos: { tgtExpiringWithinSeconds: 300 } }))).toEqual([]);
  });
});

describe('kerberos_caches_piling_up', () => {
  const caches = (n: number): LineFields[] => Array.from({ length: n }, (_, i) => princ(0x10 + i));
  it('fires above max_caches, with what they hold of the quota', () => {
    const findings = run(inventory(caches(6), [keyUser(UID, 6, 6, 6, 200, 6 * (15 + 29), 20000)]), kerberosCachesPilingUp);
    wellFormed(findings, kerberosCachesPilingUp);
    expect(findings.map((f) => [f.uid, f.message])).toEqual([[UID, 'uid 1000 holds 6 Kerberos caches, more than 5 (264 of the 20000 bytes of its quota; 6 keys)']]);
  });
  it('stays quiet at max_caches, and for the fixture\'s 4', async () => {
    expect(run(inventory(caches(5)), kerberosCachesPilingUp)).toEqual([]);
    expect(run(await fixture('kerberos'), kerberosCachesPilingUp)).toEqual([]);
  });
});

describe('kerberos_quota_share', () => {
  it('fires when Kerberos holds quota_share of the uid\'s bytes', () => {
    const keys = Array.from({ length: 17 }, (_, i) => tgt(0x10 + i, '9h'));
    const findings = run(inventory(keys, [keyUser(UID, 17, 17, 17, 200, 17 * (31 + 612), 20000)]), kerberosQuotaShare);
    wellFormed(findings, kerberosQuotaShare);
    expect(findings.map((f) => f.message)).toEqual(['the Kerberos caches of uid 1000 hold 10931 of its 20000-byte key quota (55%; 0 caches, 17 tickets)']);
  });
  it('stays quiet below it', async () => {
    expect(run(await fixture('kerberos'), kerberosQuotaShare)).toEqual([]);
  });
});

describe('kerberos_expired_tickets', () => {
  it('fires for the expired TGT of the real KDC\'s capture', async () => {
    const findings = run(await fixture('kerberos'), kerberosExpiredTickets);
    wellFormed(findings, kerberosExpiredTickets);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([['info', 40113, 'uid 40113 still holds 1 expired Kerberos ticket (1 TGT)']]);
  });
  it('stays quiet without one', () => {
    expect(run(inventory([tgt(0x10, '9h')]), kerberosExpiredTickets)).toEqual([]);
  });
});
