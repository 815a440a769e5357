import { describe, expect, it } from 'vitest';
import { negativeKeys as check } from '../../../src/audit/checks/negative-keys.js';
import { brief, configWith, fixture, inventory, run, wellFormed, type LineFields } from './support.js';

/** A negative key: I and N, a timeout, no summary (kernel-format.md §5). */
const negative = (serial: number, uid: number, description: string): LineFields => ({ serial, flags: 'I--Q-N-', expiry: '28s', uid, gid: uid, text: description });

describe('negative_keys', () => {
  it('fires: the captured negative keys (key-states, key-types), one info finding for uid 0', async () => {
    const states = run(await fixture('key-states'), check);
    wellFormed(states, check);
    expect(brief(states)).toEqual([['info', 0, undefined]]);
    expect(states[0]?.message).toBe('uid 0 has 1 negative key (failed lookups): "debug:kre-fixture-state-negative"');
    expect(run(await fixture('key-types'), check).map((f) => f.message)).toEqual(['uid 0 has 1 negative key (failed lookups): "kre-fixture-nx.invalid"']);
  });

  it('one finding per uid, with at most 3 examples, escaped', () => {
    const keys = [
      negative(0x10, 40001, 'a'),
      negative(0x11, 40001, 'b\u001b[31m'),
      negative(0x12, 40001, 'c\u00ff'),
      negative(0x13, 40001, 'd'),
      negative(0x14, 40001, 'e'),
      negative(0x20, 40002, 'other'),
    ];
    const findings = run(inventory(keys), check);
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([
      ['info', 40001, 'uid 40001 has 5 negative keys (failed lookups): "a", "b\\x1b[31m", "c\\xff" and 2 more'],
      ['info', 40002, 'uid 40002 has 1 negative key (failed lookups): "other"'],
    ]);
  });

  it('stays quiet: positive, revoked and expired keys are not negative; an ordinary host has none', async () => {
    expect(run(await fixture('root-host-baseline'), check)).toEqual([]);
    expect(run(await fixture('expiry-units'), check)).toEqual([]);
    expect(run(inventory([{ serial: 0x10, uid: 40001, gid: 40001, text: 'k: 1' }]), check)).toEqual([]);
  });

  it('skips allow-listed keys', async () => {
    expect(run(await fixture('key-states'), check, configWith({ allow: { descriptions: ['debug:*'] } }))).toEqual([]);
    expect(run(await fixture('key-types'), check, configWith({ allow: { types: ['dns_resolver'] } }))).toEqual([]);
  });
});
