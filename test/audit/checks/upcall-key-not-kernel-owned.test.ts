import { describe, expect, it } from 'vitest';
import { upcallKeyNotKernelOwned as check } from '../../../src/audit/checks/upcall-key-not-kernel-owned.js';
import { configWith, fixture, inventory, run, wellFormed } from './support.js';

describe('upcall_key_not_kernel_owned', () => {
  it('fires for a cifs.spnego or id_resolver key a uid other than root owns, one finding a uid and type', () => {
    const inv = inventory([
      { serial: 0x10, type: 'cifs.spnego', uid: 1000, gid: 1000, perm: '3f010000', text: 'ver=0x2;host=srv;user=alice: 0' },
      { serial: 0x11, type: 'cifs.spnego', uid: 1000, gid: 1000, perm: '3f010000', text: 'ver=0x2;host=srv2;user=alice: 0' },
      { serial: 0x12, type: 'id_resolver', uid: 1001, gid: 1001, perm: '3f010000', expiry: '10m', text: 'uid:root: 1' },
      { serial: 0x13, type: 'cifs.spnego', uid: 0, gid: 0, perm: '3f010000', text: 'ver=0x2;host=srv;user=root: 0' },
    ]);
    const findings = run(inv, check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.uid, f.message])).toEqual([
      [1000, 'uid 1000 owns 2 cifs.spnego keys ("ver=0x2;host=srv;user=alice", "ver=0x2;host=srv2;user=alice"), a type the kernel makes for itself, owned by root'],
      [1001, 'uid 1001 owns 1 id_resolver key ("uid:root"), a type the kernel makes for itself, owned by root'],
    ]);
    expect(findings[0]?.remediation).toContain('As uid 1000, `keyctl show @s`');
  });

  it('stays quiet for root\'s, for dns_resolver keys a user requested, and for allowed uids', async () => {
    expect(run(await fixture('key-types'), check)).toEqual([]);
    const inv = inventory([
      { serial: 0x10, type: 'dns_resolver', uid: 1000, gid: 1000, perm: '3b010000', expiry: '5s', text: 'example.org: 9' },
      { serial: 0x11, type: 'cifs.spnego', uid: 1000, gid: 1000, perm: '3f010000', text: 'ver=0x2;host=srv: 0' },
    ]);
    expect(run(inv, check, configWith({ allow: { uids: [1000] } }))).toEqual([]);
    expect(run(inv, check).map((f) => f.uid)).toEqual([1000]);
  });
});
