import { describe, expect, it } from 'vitest';
import { forgedProcKeysLine as check } from '../../../src/audit/checks/forged-proc-keys-line.js';
import { parseIssues } from '../../../src/audit/checks/parse-issues.js';
import { configWith, fixture, inventory, keyUser, run, wellFormed } from './support.js';

describe('forged_proc_keys_line', () => {
  it('fires: both carriers of forged lines (forged-line, naive and careful) are critical, with their uid, serial and lines', async () => {
    const findings = run(await fixture('forged-line'), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.serial, f.line])).toEqual([
      ['critical', 40109, '09e37067', 3],
      ['critical', 40109, '248bcd32', 8],
    ]);
    expect(findings[0]?.message).toMatch(/^key 09e37067 of uid 40109 has a description spanning 2 lines that forges \/proc\/keys record at line 4: "kre-fixture-innocent\\x0a00000002 /);
    expect(findings[1]?.message).toContain('forges /proc/keys record at line 9: "innocent: 5\\x0a333147bc I--Q---');
    expect(findings[1]?.remediation).toContain('Uid 40109 wrote it');
    // the carrier's perm gives others view only: root cannot revoke it (EACCES, checked on the live kernel)
    expect(findings[1]?.remediation).toContain('root cannot revoke it');
    expect(findings[1]?.remediation).toContain('have uid 40109 run `keyctl revoke 0x248bcd32` from the session that holds it');
    expect(findings[1]?.remediation).toContain('loginctl terminate-user 40109');
  });

  it('tells root to revoke the carrier itself only when the perm lets others write or setattr', () => {
    const carrier = (perm: string) =>
      inventory([{ serial: 0x10, uid: 4242, gid: 4242, perm, text: 'innocent\n00000011 I--Q---     1 perm 3f010000     0     0 user      x: 1' }], [keyUser(4242, 1, 1, 1, 200, 999, 20000)]);
    const [open] = run(carrier('3f010005'), check).filter((f) => f.severity === 'critical');
    expect(open?.remediation).toContain('its perm lets any user revoke it: `keyctl revoke 0x00000010`');
    const [closed] = run(carrier('3f010001'), check).filter((f) => f.severity === 'critical');
    expect(closed?.remediation).toContain('root cannot revoke it');
  });

  it('stays quiet: a real multi-line description that forges nothing, and an ordinary host (captured)', async () => {
    expect(run(await fixture('hard-descriptions'), check)).toEqual([]);
    expect(run(await fixture('root-host-baseline'), check)).toEqual([]);
  });

  it('a description allow-list does not hide a forgery (the carrier chose its description); a uid allow-list does', async () => {
    expect(run(await fixture('forged-line'), check, configWith({ allow: { descriptions: ['*innocent*'], types: ['user'] } }))).toHaveLength(2);
    expect(run(await fixture('forged-line'), check, configWith({ allow: { uids: [40109] } }))).toEqual([]);
  });

  it.each([
    ['uid_not_in_key_users: a key of a uid /proc/key-users does not list', [{ serial: 0x10, uid: 4242, gid: 4242, text: 'k: 1' }], [keyUser(0, 3, 3, 0, 1_000_000, 0, 25_000_000)]],
    ['exceeds_key_users: more keys of a uid than it owns', [{ serial: 0x10, uid: 4242, gid: 4242, text: 'a: 1' }, { serial: 0x20, type: 'keyring', uid: 4242, gid: 4242, text: 'b: empty' }], [keyUser(4242, 1, 1, 1, 200, 3, 20000)]],
    ['key_users_bytes_mismatch: every key listed, the bytes differ', [{ serial: 0x10, uid: 4242, gid: 4242, text: 'k: 5' }], [keyUser(4242, 1, 1, 1, 200, 100, 20000)]],
  ])('warns on a record /proc/key-users contradicts, %s', (code, keys, users) => {
    const inv = inventory(keys, users);
    expect(inv.keys.flatMap((k) => k.suspect.map((s) => s.code))).toContain(code.split(':')[0]);
    const findings = run(inv, check);
    wellFormed(findings, check);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.severity === 'warning' && f.uid === 4242 && f.serial !== undefined && f.line !== undefined)).toBe(true);
    expect(findings[0]?.message).toMatch(/^the record at line \d+ \(key [0-9a-f]{8}, uid 4242\) cannot be trusted: /);
  });

  it('boundary: the same key with /proc/key-users agreeing is trusted', () => {
    // 'k' + NUL + 5 payload bytes: 7 bytes charged.
    const inv = inventory([{ serial: 0x10, uid: 4242, gid: 4242, text: 'k: 5' }], [keyUser(4242, 1, 1, 1, 200, 7, 20000)]);
    expect(inv.keys[0]?.suspect).toEqual([]);
    expect(run(inv, check)).toEqual([]);
  });

  it('leaves missing_summary to parse_issues', () => {
    const inv = inventory([{ serial: 0x10, uid: 4242, gid: 4242, text: 'no summary' }], [keyUser(4242, 1, 1, 1, 200, 11, 20000)]);
    expect(inv.keys[0]?.suspect.map((s) => s.code)).toEqual(['missing_summary']);
    expect(run(inv, check)).toEqual([]);
    expect(run(inv, parseIssues).map((f) => f.message)).toEqual([expect.stringContaining('keys: a problem: line 1: missing_summary: ')]);
  });
});
