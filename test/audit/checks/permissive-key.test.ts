import { describe, expect, it } from 'vitest';
import { permissiveKey as check } from '../../../src/audit/checks/permissive-key.js';
import { configWith, fixture, FIXTURES, inventory, run, wellFormed, type LineFields } from './support.js';

const key = (perm: string, type = 'user', text = 'secret: 6', extra: Partial<LineFields> = {}): LineFields => ({ serial: 0x10, perm, type, uid: 40003, gid: 40003, text, ...extra });
const ring = (perm: string, text = 'shared: empty', extra: Partial<LineFields> = {}): LineFields => key(perm, 'keyring', text, extra);

describe('permissive_key', () => {
  it.each([
    // Keys: read is the secret.
    ['a user key everyone can read (keyctl setperm 0x3f010003)', key('3f010003'), 'critical', 'every user may read'],
    ['a user key its group can read', key('3f010200'), 'critical', 'group 40003 may read'],
    ['a big_key its group can view, read and search', key('3f010b00', 'big_key', 'blob: 5000 [buff]'), 'critical', 'group 40003 may read'],
    ['a user key everyone can link', key('3f010011'), 'warning', 'every user may link'],
    ['a user key everyone can set attributes of', key('3f010021'), 'warning', 'every user may setattr'],
    ['a user key its group can write', key('3f010500'), 'warning', 'group 40003 may write'],
    ['a logon key everyone can "read" (logon has no read operation)', key('3d010003', 'logon', 'svc:pw: 6'), 'warning', 'cannot be read from userspace'],
    // Keyrings: write, link and setattr let others plant or replace keys; read shows the list.
    ['a keyring everyone can link into', ring('3f010011'), 'critical', 'every user may link'],
    ['a keyring its group can write', ring('3f010500'), 'critical', 'group 40003 may write'],
    ['a keyring everyone can set attributes of', ring('3f010021'), 'critical', 'every user may setattr'],
    ['a keyring whose list everyone can read', ring('3f010003'), 'warning', 'every user may read'],
    ['the user keyring with a permission the kernel never gives it', ring('1f3f0010', '_uid.40003: 1', { gid: 65534 }), 'critical', 'every user may link'],
  ])('fires: %s', (_name, k, severity, text) => {
    const findings = run(inventory([k]), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.serial, f.line])).toEqual([[severity, 40003, '00000010', 1]]);
    expect(findings[0]?.message).toContain(text);
    expect(findings[0]?.message).toContain(`(perm ${k.perm})`);
  });

  it('names both group and other, and gives the setperm that keeps possessor and owner', () => {
    const [f] = run(inventory([key('3f010b03')]), check);
    expect(f?.message).toBe('user key "secret" of uid 40003 (perm 3f010b03): group 40003 may read; every user may read');
    expect(f?.remediation).toContain('`keyctl setperm 0x00000010 0x3f010000`');
  });

  it.each([
    ['view and search only (runc with user namespaces: other search)', ring('3f130009', `_ses.${'ab'.repeat(32)}: 1`)],
    ['view and search only, on a key', key('3f010909')],
    ['an owner-only key', key('3f010000')],
    ["the kernel's own keyrings (not in quota, dot names)", ring('1f0f0f0f', '.ima: 1', { flags: 'I------', uid: 0, gid: 0 })],
    ['the persistent register', ring('1f030303', '.persistent_register: 1', { flags: 'I------', uid: 0, gid: 0 })],
    ["_uid.N with the kernel's 1f3f0000", ring('1f3f0000', '_uid.40003: 1', { gid: 65534 })],
    ["_persistent.N with the kernel's 1f030000", ring('1f030000', '_persistent.40003: 1', { flags: 'I------', gid: 65534 })],
    ["systemd's invocation_id (uid 0, 0b0b0000)", key('0b0b0000', 'user', 'invocation_id: 16', { uid: 0, gid: 0 })],
  ])('stays quiet: %s', (_name, k) => {
    expect(run(inventory([k]), check)).toEqual([]);
  });

  it('stays quiet: a record that is not trusted (a forged 3f3f3f3f line belongs to forged_proc_keys_line)', () => {
    const inv = inventory([key('3f3f3f3f', 'user', 'no summary')]);
    expect(inv.keys[0]?.suspect.map((s) => s.code)).toEqual(['missing_summary']);
    expect(run(inv, check)).toEqual([]);
  });

  it.each([
    ['09', []], // view + search: the boundary, allowed
    ['0b', ['critical']], // + read
    ['19', ['warning']], // + link
  ])('boundary: other byte %s on a user key: %j', (other, severities) => {
    expect(run(inventory([key(`3f0100${other}`)]), check).map((f) => f.severity)).toEqual(severities);
  });

  it('captured: nothing in any fixture, forged 3f3f3f3f lines and other-view impostors included', async () => {
    for (const name of FIXTURES) expect(run(await fixture(name), check), name).toEqual([]);
  });

  it('skips allow-listed keys (uid, type, description)', () => {
    const k = key('3f010003', 'user', 'krb_ccache:primary: 12');
    expect(run(inventory([k]), check)).toHaveLength(1);
    expect(run(inventory([k]), check, configWith({ allow: { uids: [40003] } }))).toEqual([]);
    expect(run(inventory([k]), check, configWith({ allow: { types: ['user'] } }))).toEqual([]);
    expect(run(inventory([k]), check, configWith({ allow: { descriptions: ['krb_ccache:*'] } }))).toEqual([]);
  });
});
