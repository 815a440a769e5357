/**
 * Attack 1, the fake summary: an unprivileged user ends the first line of a key description with what looks
 * like the kernel's summary ("cfg: 1") and follows it with a whole forged /proc/keys record of a root-owned
 * persistent keyring that does not exist. The carrier is made (and remade) until its serial lies just below
 * the forged serial with no line root can see between them, so the forged record sits in ascending order like
 * a real one, and its summary is the kernel's own (": 1", the carrier's payload length).
 *
 * Uids 41000-41099.
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  describe as kernelDescribe,
  findingsOf,
  jsonFields,
  kernelFields,
  kernelKey,
  keysJson,
  lineSerials,
  recordLine,
  run,
  samples,
  show,
  startAttacker,
  stopAllAttackers,
  forgedSerials,
  expectKernelView,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const UID = 41000 + (process.pid % 100);

afterEach(stopAllAttackers);

/** Whether the metrics have a persistent keyring expiry for uid 0. */
const rootPersistentSeries = (text: string): boolean =>
  samples(text).some((s) => s.name === 'keyring_persistent_keyring_expiry_seconds' && s.labels['uid'] === '0');

describe('attack: a fake summary followed by a forged root _persistent.0 record', () => {
  live('the forged record is no key, the carrier is listed whole and reported, and no root persistent keyring appears', async () => {
    const baseline = run('metrics');
    expect(baseline.status, baseline.stderr).toBe(0);

    const gap = forgedSerials(1);
    const forged = gap.serials[0] as string;
    const forgedLine = recordLine({ serial: forged, flags: 'I------', usage: 2, expiry: '2d', perm: '1f030000', uid: 0, gid: 65534, type: 'keyring', text: '_persistent.0' });
    const desc = `cfg: 1\n${forgedLine}`;
    const atk = await startAttacker(UID, [{ desc, fit: { lo: gap.lo, hi: parseInt(forged, 16) } }]);
    try {
      const carrier = atk.serials[0] as string;
      // The attack is real: the carrier exists as written, root sees it, the kernel prints the forged line,
      // and no key has the forged serial.
      expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: UID, gid: UID, perm: '3f010001', description: show(desc) });
      const printed = lineSerials();
      expect(printed).toContain(carrier);
      expect(printed).toContain(forged);
      expect(kernelDescribe([forged]).get(forged)).toEqual({ ok: false, error: 'noent' });

      const view = new KernelView([carrier]);
      const keys = keysJson();
      const audit = auditJson();
      const metrics = run('metrics');
      const stable = view.stable();
      expect(stable.has(carrier)).toBe(true);
      // Whether root really has a persistent keyring, by the kernel: a keyring of uid 0 named _persistent.0.
      const rootHasPersistent = [...stable.values()].some((k) => k.uid === 0 && k.type === 'keyring' && k.description.toString('latin1') === '_persistent.0');

      expect.soft(keys.keys.map((k) => k.serial), 'the forged serial is listed as a key').not.toContain(forged);
      const mine = keys.keys.filter((k) => k.serial === carrier);
      expect.soft(mine.map(jsonFields), 'the carrier, as the kernel describes it').toEqual([kernelFields(stable.get(carrier)!)]);
      const forgedFindings = findingsOf(audit).filter((f) => f.check === 'forged_proc_keys_line' && f.serial === carrier);
      expect.soft(forgedFindings.map((f) => f.uid), 'forged_proc_keys_line on the carrier (its uid)').toContain(UID);
      expect.soft(findingsOf(audit).filter((f) => f.serial === forged), 'findings about the forged serial').toEqual([]);
      expect.soft(findingsOf(audit).filter((f) => f.uid === 0 && f.check === 'forged_proc_keys_line'), 'forged_proc_keys_line findings blaming root').toEqual([]);

      expect(metrics.status, metrics.stderr).toBe(0);
      expect.soft(rootPersistentSeries(metrics.stdout), 'keyring_persistent_keyring_expiry_seconds{uid="0"} (kernel: root has one = ' + rootHasPersistent + ')').toBe(rootHasPersistent);
      expect.soft(rootPersistentSeries(metrics.stdout), 'the same as without the attack').toBe(rootPersistentSeries(baseline.stdout));

      expectKernelView(keys, stable, [0, UID]);
    } finally {
      await atk.stop();
    }
  });
});
