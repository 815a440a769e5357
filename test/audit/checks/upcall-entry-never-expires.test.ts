import { describe, expect, it } from 'vitest';
import { upcallEntryNeverExpires as check } from '../../../src/audit/checks/upcall-entry-never-expires.js';
import { fixture, inventory, run, wellFormed } from './support.js';

describe('upcall_entry_never_expires', () => {
  it.each([
    ['dns_resolver', 'old.example: 9', 'key.dns_resolver.conf'],
    ['id_resolver', 'uid:alice@example: 4', 'nfsidmap -t 600'],
    ['id_legacy', 'uid:alice: 4', 'fs.nfs.idmap_cache_timeout'],
  ])('fires for a %s answer without expiry, with the helper\'s timeout setting', (type, text, fix) => {
    const findings = run(inventory([{ serial: 0x10, type, uid: 0, gid: 0, perm: '3b010000', expiry: 'perm', text }]), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([['warning', `1 ${type} entry never expires ("${text.replace(/: \d+$/, '')}"): it never follows a change of what it caches`]]);
    expect(findings[0]?.remediation).toContain(fix);
  });

  it('stays quiet for answers that expire, failures, SMB Kerberos tickets and helpers\' authorisation keys', async () => {
    expect(run(await fixture('key-types'), check)).toEqual([]);
    const inv = inventory([
      { serial: 0x10, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: '5s', text: 'new.example: 9' },
      { serial: 0x11, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: 'perm', flags: 'I--Q-N-', text: 'nx.example' },
      { serial: 0x12, type: 'cifs.spnego', uid: 0, gid: 0, perm: '3f010000', expiry: 'perm', text: 'ver=0x2;host=srv: 0' },
      { serial: 0x13, type: '.request_key_auth', uid: 0, gid: 0, perm: '3f010000', expiry: 'perm', flags: 'I------', text: 'key:99 pid:5 ci:3' },
    ]);
    expect(run(inv, check)).toEqual([]);
  });
});
