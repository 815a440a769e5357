import { describe, expect, it } from 'vitest';
import { isKerberosKey } from '../../src/classify/kerberos.js';
import { fixture, inventory } from '../audit/checks/support.js';

describe('kerberosHoldings', () => {
  it('counts what klist shows of a real KDC\'s caches: 4 caches in 2 collections, 3 live TGTs, an expired one, a service ticket', async () => {
    const inv = await fixture('kerberos');
    expect(inv.kerberos.map((h) => ({ ...h, tickets: h.tickets.map((t) => [t.principal, t.tgtRealm, t.expired, t.secondsLeft, t.maxSecondsLeft]) }))).toEqual([
      {
        uid: 40113,
        collections: 2,
        caches: 4,
        // Of the 5,016 bytes /proc/key-users charges the uid: the rest are its user and session keyrings and the cache keyrings.
        bytes: 4854,
        tickets: [
          ['krbtgt/KRE-FIXTURE.TEST@KRE-FIXTURE.TEST', 'KRE-FIXTURE.TEST', false, 540, 599],
          ['krbtgt/KRE-FIXTURE.TEST@KRE-FIXTURE.TEST', 'KRE-FIXTURE.TEST', false, 540, 599],
          ['krbtgt/KRE-FIXTURE.TEST@KRE-FIXTURE.TEST', 'KRE-FIXTURE.TEST', true, 0, 0],
          ['krbtgt/KRE-FIXTURE.TEST@KRE-FIXTURE.TEST', 'KRE-FIXTURE.TEST', false, 540, 599],
          ['host/srv.kre-fixture.test@KRE-FIXTURE.TEST', null, false, 540, 599],
        ],
      },
    ]);
  });

  it('no Kerberos on the other captures', async () => {
    for (const name of ['quota-full', 'key-types', 'hard-descriptions'] as const) expect((await fixture(name)).kerberos, name).toEqual([]);
  });
});

describe('isKerberosKey', () => {
  const key = (type: string, description: string, bytes: number | null) => ({ type: { name: type, raw: type, known: true, maybeTruncated: false }, description, summary: bytes === null ? null : { kind: 'length' as const, bytes } });
  it.each([
    [key('keyring', '_krb', null), true],
    [key('keyring', '_krb_kre', null), true],
    [key('keyring', '_krbx', null), false],
    [key('user', '__krb5_princ__', 29), true],
    [key('user', 'krb_ccache:primary', 13), true],
    [key('user', 'krb_ccache:primary:81', 49), false],
    [key('user', 'krbtgt/EXAMPLE.ORG@EXAMPLE.ORG', 600), true],
    [key('user', 'HTTP/www.example.org@EXAMPLE.ORG', 1800), true],
    // Named like a principal (an e-mail address) but holding no ticket's payload: not a ticket.
    [key('user', 'alice@example.org', 12), false],
    [key('logon', 'krbtgt/EXAMPLE.ORG@EXAMPLE.ORG', 600), false],
  ])('%j: %s', (k, expected) => {
    expect(isKerberosKey(k)).toBe(expected);
  });

  it('a user key named like a principal with a payload the size of a ticket is counted as one', () => {
    const inv = inventory([{ serial: 0x10, uid: 1000, gid: 1000, expiry: '2h', text: 'krbtgt/EXAMPLE.ORG@EXAMPLE.ORG: 612' }]);
    expect(inv.kerberos.map((h) => [h.uid, h.caches, h.tickets.map((t) => [t.tgtRealm, t.secondsLeft])])).toEqual([[1000, 0, [['EXAMPLE.ORG', 7200]]]]);
  });
});
