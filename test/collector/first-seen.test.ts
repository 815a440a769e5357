import { describe, expect, it } from 'vitest';
import { createFirstSeen } from '../../src/collector/first-seen.js';
import { inventory } from '../audit/checks/support.js';

const dns = (serial: number, uid = 0) => ({ serial, type: 'dns_resolver', uid, gid: uid, perm: '3b010000', expiry: 'perm', text: `host${serial}.example: 9` });

describe('createFirstSeen', () => {
  it('ages the oldest entry of each type from the first scrape that listed it, and forgets entries that vanished', () => {
    const seen = createFirstSeen();
    expect(seen.oldest(inventory([dns(0x10)]).upcall, 1000)).toEqual(new Map([['dns_resolver', 0]]));
    expect(seen.oldest(inventory([dns(0x10), dns(0x11)]).upcall, 1060)).toEqual(new Map([['dns_resolver', 60]]));
    // 0x10 is gone: the oldest is 0x11, seen 30 s ago; a serial given again to another owner starts anew.
    expect(seen.oldest(inventory([dns(0x10, 1000), dns(0x11)]).upcall, 1090)).toEqual(new Map([['dns_resolver', 30]]));
    // No entry of a type: no age.
    expect(seen.oldest(inventory([]).upcall, 1100)).toEqual(new Map());
  });
});
