import { describe, expect, it } from 'vitest';
import { stuckConstruction as check } from '../../../src/audit/checks/stuck-construction.js';
import { brief, configWith, fixture, inventory, keyUser, run, wellFormed, type LineFields } from './support.js';

/** Under construction: U without I, no summary (kernel-format.md §1.4). */
const building = (serial: number, uid: number, description = 'dns:example.org'): LineFields => ({ serial, flags: '---QU--', uid, gid: uid, text: description });

describe('stuck_construction', () => {
  it('fires: the captured key under construction (key-states), and none hidden (18/17 in /proc/key-users, 1 listed)', async () => {
    const findings = run(await fixture('key-states'), check);
    wellFormed(findings, check);
    expect(brief(findings)).toEqual([['info', 0, undefined]]);
    expect(findings[0]?.message).toBe('uid 0 has 1 key under construction: "kre-fixture-uc:states"');
  });

  it('fires: keys /proc/key-users counts as not instantiated that the reader does not list', () => {
    const findings = run(inventory([], [keyUser(40005, 3, 1, 3, 200, 30, 20000)]), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([
      ['info', 40005, '/proc/key-users counts 2 keys of uid 40005 under construction that this reader cannot see'],
    ]);
  });

  it.each([
    ['nkeys 2 = nikeys 2', [], keyUser(40005, 2, 2, 2, 200, 20, 20000), []],
    ['nkeys 3, nikeys 2, the one listed', [building(0x10, 40005)], keyUser(40005, 3, 2, 3, 200, 30, 20000), ['uid 40005 has 1 key under construction']],
    [
      'nkeys 4, nikeys 2, one listed: one hidden',
      [building(0x10, 40005)],
      keyUser(40005, 4, 2, 4, 200, 40, 20000),
      ['uid 40005 has 1 key under construction', '/proc/key-users counts 1 key of uid 40005 under construction'],
    ],
  ])('boundary: %s', (_name, keys, user, starts) => {
    const messages = run(inventory(keys as LineFields[], [user as string]), check).map((f) => f.message);
    expect(messages).toHaveLength(starts.length);
    starts.forEach((s, i) => expect(messages[i]).toContain(s));
  });

  it('does not judge a uid whose /proc/key-users line changed during the read', () => {
    const before = [keyUser(40005, 3, 2, 3, 200, 30, 20000)];
    const after = [keyUser(40005, 2, 2, 2, 200, 20, 20000)];
    expect(run(inventory([], before, undefined, after), check)).toEqual([]);
  });

  it('stays quiet on an ordinary host and for allow-listed uids', async () => {
    expect(run(await fixture('root-host-baseline'), check)).toEqual([]);
    expect(run(inventory([building(0x10, 40005)], [keyUser(40005, 5, 2, 5, 200, 50, 20000)]), check, configWith({ allow: { uids: [40005] } }))).toEqual([]);
  });
});
