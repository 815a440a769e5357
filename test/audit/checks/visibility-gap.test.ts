import { describe, expect, it } from 'vitest';
import { visibilityGap as check } from '../../../src/audit/checks/visibility-gap.js';
import { brief, configWith, fixture, inventory, keyUser, run, wellFormed, type LineFields } from './support.js';

const keys = (uid: number, n: number): LineFields[] => Array.from({ length: n }, (_, i) => ({ serial: 0x10 + i, uid, gid: uid, text: 'k: 1' }));

describe('visibility_gap', () => {
  it('fires: uid 40110 reading /proc/keys does not see root\'s 7 keys (quota-full)', async () => {
    const findings = run(await fixture('quota-full'), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([['info', 0, 'uid 0 owns 7 keys, this reader sees 0']]);
    expect(findings[0]?.remediation).toContain('--view all-users');
  });

  it('fires: root does not see a key of uid 40109 it has no view of; the suspect carriers still count as seen (forged-line)', async () => {
    expect(run(await fixture('forged-line'), check).map((f) => f.message)).toEqual(['uid 40109 owns 3 keys, this reader sees 2']);
  });

  it('under --view all-users, says that only a possessor may view what is still missing, instead of suggesting the view it has', () => {
    const inv = inventory(keys(40006, 2), [keyUser(40006, 3, 3, 3, 200, 9, 20000)]);
    const merged = { ...inv, coverage: { view: 'all-users' as const, readers: [0, 40006], failed: [] } };
    const [f] = run(merged, check);
    expect(f?.message).toBe('uid 40006 owns 3 keys, this reader sees 2');
    expect(f?.remediation).not.toContain('--view all-users');
    expect(f?.remediation).toContain("run `keyctl show @s` (or `keyring-exporter keys`) inside uid 40006's sessions");
  });

  it.each([
    [2, 2, []],
    [3, 2, [['info', 40006, undefined]]],
    [1, 2, []], // more listed than owned is forged_proc_keys_line's business
  ])('boundary: nkeys %i, %i listed: %j', (nkeys, listed, expected) => {
    expect(brief(run(inventory(keys(40006, listed), [keyUser(40006, nkeys, nkeys, nkeys, 200, nkeys * 3, 20000)]), check))).toEqual(expected);
  });

  it.each([
    [9, 7, []], // the 2 keys the kernel's static root key_user always counts
    [10, 7, ['uid 0 owns 8 keys, this reader sees 7']],
  ])('root: nkeys %i, %i listed: %j', (nkeys, listed, messages) => {
    const root = keys(0, listed).map((k) => ({ ...k, flags: 'I------' }));
    expect(run(inventory(root, [keyUser(0, nkeys, nkeys, 0, 1_000_000, 0, 25_000_000)]), check).map((f) => f.message)).toEqual(messages);
  });

  it('stays quiet on what root sees of its own host, for unstable and allow-listed uids, and without /proc/key-users', async () => {
    for (const name of ['root-host-baseline', 'session-anonymous', 'persistent', 'key-states'] as const) expect(run(await fixture(name), check), name).toEqual([]);
    expect(run(await fixture('quota-full'), check, configWith({ allow: { uids: [0] } }))).toEqual([]);
    const before = [keyUser(40006, 5, 5, 5, 200, 15, 20000)];
    expect(run(inventory(keys(40006, 2), before, undefined, [keyUser(40006, 2, 2, 2, 200, 6, 20000)]), check)).toEqual([]);
    expect(run(inventory(keys(40006, 2), []), check)).toEqual([]);
  });
});
