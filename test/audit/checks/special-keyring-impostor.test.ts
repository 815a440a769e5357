import { describe, expect, it } from 'vitest';
import { specialKeyringImpostor as check } from '../../../src/audit/checks/special-keyring-impostor.js';
import { brief, configWith, fixture, inventory, run, wellFormed, type LineFields } from './support.js';

const ring = (text: string, extra: Partial<LineFields> = {}): LineFields => ({ serial: 0x10, type: 'keyring', perm: '3f010000', uid: 40008, gid: 40008, text, ...extra });

describe('special_keyring_impostor', () => {
  it('fires: the keyrings uid 40108 named _uid.0, _uid_ses.0, _persistent.0 and _req.123 (hard-descriptions) are critical', async () => {
    const findings = run(await fixture('hard-descriptions'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([
      ['critical', 40108, '12fe7a7b'],
      ['critical', 40108, '1609c9d3'],
      ['critical', 40108, '239f8a1b'],
      ['critical', 40108, '3517c62b'],
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      'keyring "_uid.0" of uid 40108 uses a name reserved for a user keyring, but its gid is 40108, the kernel\'s has none (65534); its name says uid 0 but uid 40108 owns it',
      'keyring "_uid_ses.0" of uid 40108 uses a name reserved for a user session keyring, but its gid is 40108, the kernel\'s has none (65534); its name says uid 0 but uid 40108 owns it',
      'keyring "_persistent.0" of uid 40108 uses a name reserved for a persistent keyring, but it is charged to a quota, the kernel\'s is not; its gid is 40108, the kernel\'s has none (65534); its name says uid 0 but uid 40108 owns it',
      'keyring "_req.123" of uid 40108 uses a name reserved for a request key keyring, but its perm is 3f010001, request_key.c creates it with 3f030000',
    ]);
    expect(findings[0]?.remediation).toContain('keyctl describe 0x12fe7a7b');
  });

  it.each([
    ['_uid.40008 made with keyctl newring', ring('_uid.40008: empty'), 'reserved for a user keyring'],
    ['_uid_ses.40008 with the kernel\'s perm but a real gid', ring('_uid_ses.40008: empty', { perm: '1f3f0000' }), 'its gid is 40008'],
    ['_persistent.40008 charged to the quota', ring('_persistent.40008: empty', { gid: 65534 }), 'it is charged to a quota'],
    ['_req.99 with add_key\'s perm', ring('_req.99: empty'), 'its perm is 3f010000'],
    ['_req.99 with the kernel\'s perm, but no key 99 under construction', ring('_req.99: empty', { perm: '3f030000' }), 'no key 99 of uid 40008 is under construction'],
  ])('fires: %s', (_name, k, text) => {
    const findings = run(inventory([k]), check);
    expect(brief(findings)).toEqual([['critical', 40008, '00000010']]);
    expect(findings[0]?.message).toContain(text);
  });

  it.each([
    ['the kernel\'s _uid.N (in quota, invalid gid)', ring('_uid.40008: empty', { perm: '1f3f0000', gid: 65534 })],
    ['the kernel\'s _persistent.N (not in quota, invalid gid)', ring('_persistent.40008: empty', { perm: '1f030000', gid: 65534, flags: 'I------' })],
    ['the kernel\'s _req.N (in quota, 3f030000) while key N of its owner is under construction', [ring('_req.99: empty', { perm: '3f030000' }), { serial: 99, type: 'user', perm: '3f010000', uid: 40008, gid: 40008, flags: '---QU--', text: 'debug:pending' }]],
    ['a user key named _uid.0 (only keyrings are reserved)', { ...ring('_uid.0: 1'), type: 'user' }],
    ['a keyring named _uid.x (not a reserved name)', ring('_uid.x: empty')],
  ])('stays quiet: %s', (_name, k) => {
    expect(run(inventory(Array.isArray(k) ? k : [k]), check)).toEqual([]);
  });

  it('fires for both of two _uid.0 of root (duplicate_singleton), even when each looks like the kernel\'s', () => {
    const uid0 = (serial: number): LineFields => ({ serial, type: 'keyring', perm: '1f3f0000', uid: 0, gid: 65534, text: '_uid.0: empty' });
    const findings = run(inventory([uid0(0x10), uid0(0x20)]), check);
    expect(brief(findings)).toEqual([
      ['critical', 0, '00000010'],
      ['critical', 0, '00000020'],
    ]);
    expect(findings[0]?.message).toContain('is one of several');
    expect(findings[0]?.message).toContain('lines 1, 2');
  });

  it('boundary: one _uid.0 per owner is fine, one per owner of two owners too', () => {
    const u = (serial: number, uid: number): LineFields => ({ serial, type: 'keyring', perm: '1f3f0000', uid, gid: 65534, text: `_uid.${uid}: empty` });
    expect(run(inventory([u(0x10, 0)]), check)).toEqual([]);
    expect(run(inventory([u(0x10, 0), u(0x20, 40008)]), check)).toEqual([]);
  });

  it('stays quiet on the kernel\'s own keyrings (captured), and a forged _uid.0 line is forged_proc_keys_line\'s', async () => {
    for (const name of ['root-host-baseline', 'persistent', 'persistent-expiry-lowered', 'user-session-fallback', 'key-states', 'key-types', 'forged-line'] as const)
      expect(run(await fixture(name), check), name).toEqual([]);
  });

  it('skips allow-listed uids', async () => {
    expect(run(await fixture('hard-descriptions'), check, configWith({ allow: { uids: [40108] } }))).toEqual([]);
  });
});
