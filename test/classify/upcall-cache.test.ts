import { describe, expect, it } from 'vitest';
import { UPCALL_TYPES, type UpcallCache } from '../../src/classify/upcall-cache.js';
import { fixture, inventory } from '../audit/checks/support.js';

const ofType = (caches: UpcallCache[], type: string): UpcallCache => caches.find((c) => c.type === type) as UpcallCache;
const serials = (list: { serial: string }[]): string[] => list.map((k) => k.serial);

describe('upcallCaches', () => {
  it('counts the dns_resolver entries the real kernel made: a failed lookup cached as a negative key, and an answer that expires', async () => {
    const inv = await fixture('key-types');
    expect(inv.upcall.map((c) => c.type)).toEqual([...UPCALL_TYPES]);
    const dns = ofType(inv.upcall, 'dns_resolver');
    expect(serials(dns.keys)).toEqual(['17e91d08', '20fd4048']);
    expect(serials(dns.failed)).toEqual(['17e91d08']);
    expect(dns.permanent).toEqual([]);
  });

  it('a DNS error kept as an answer is a failure too; an answer without expiry is permanent where the type should expire; a kernel-only type a user owns', () => {
    const inv = inventory([
      { serial: 0x10, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: '10m', text: 'bad.example: -3' },
      { serial: 0x11, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: 'perm', text: 'old.example: 9' },
      { serial: 0x12, type: 'id_resolver', uid: 0, gid: 0, perm: '3f010000', expiry: 'perm', text: 'uid:alice: 4' },
      { serial: 0x13, type: 'cifs.spnego', uid: 1000, gid: 1000, perm: '3f010000', expiry: 'perm', text: 'ver=0x2;host=srv;user=alice: 0' },
      { serial: 0x14, type: '.request_key_auth', uid: 1000, gid: 1000, perm: '3f010000', expiry: 'perm', flags: 'I------', text: 'key:99 pid:5 ci:3' },
      { serial: 0x15, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: '1m', flags: 'I--Q-N-', text: 'nx.example' },
    ]);
    const dns = ofType(inv.upcall, 'dns_resolver');
    expect([serials(dns.keys), serials(dns.failed), serials(dns.permanent)]).toEqual([['00000010', '00000011', '00000015'], ['00000010', '00000015'], ['00000011']]);
    expect(serials(ofType(inv.upcall, 'id_resolver').permanent)).toEqual(['00000012']);
    expect(serials(ofType(inv.upcall, 'id_resolver').notKernelOwned)).toEqual([]);
    expect(serials(ofType(inv.upcall, 'cifs.spnego').notKernelOwned)).toEqual(['00000013']);
    // cifs.spnego entries are not kept for later lookups, and an authorisation key lives while its helper runs.
    expect(ofType(inv.upcall, 'cifs.spnego').permanent).toEqual([]);
    expect(ofType(inv.upcall, '.request_key_auth')).toMatchObject({ permanent: [], notKernelOwned: [] });
  });

  it('a host without entries: every type, empty', async () => {
    const inv = await fixture('quota-full');
    expect(inv.upcall.every((c) => c.keys.length === 0)).toBe(true);
  });
});
