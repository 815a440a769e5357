import { describe, expect, it } from 'vitest';
import { formatKerberosLines, kerberosJson } from '../../src/report/kerberos-report.js';
import { formatKeysTable } from '../../src/report/keys-table.js';
import { fixture } from '../audit/checks/support.js';

describe('the Kerberos section of keys and audit', () => {
  it('one line per uid: caches, collections, tickets, the first TGT\'s end, expired tickets, bytes', async () => {
    const inv = await fixture('kerberos');
    expect(formatKerberosLines(inv.kerberos)).toEqual([
      'uid 40113: 4 caches in 2 collections, 5 tickets (3 live TGTs; the first TGT ends in 9 min to 10 min), 1 expired, 4854 bytes of its quota',
    ]);
    expect(formatKeysTable(inv, { color: false })).toContain('KERBEROS CACHES (MIT krb5 KEYRING: caches, by owner)\n  uid 40113: 4 caches');
    expect(kerberosJson(inv.kerberos)).toMatchObject([{ uid: 40113, caches: 4, collections: 2, bytes: 4854 }]);
  });

  it('nothing where no uid holds a cache', async () => {
    const inv = await fixture('quota-full');
    expect(formatKerberosLines(inv.kerberos)).toEqual([]);
    expect(formatKeysTable(inv, { color: false })).not.toContain('KERBEROS');
  });
});
