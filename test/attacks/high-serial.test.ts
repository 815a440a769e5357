/**
 * Attack 2, the high-serial forged line: a forged record with a serial near the top of the range (7ffffff0,
 * or the nearest unused one below) inside one key's description, followed in /proc/keys by the attacker's 30
 * real keys (the carrier is the lowest of 40 tries, so nearly all of them print after it). Every line after the
 * forged one has a lower serial than it: a reader that trusts the forged line sees them out of order.
 *
 * Uids 41100-41149 (serve-cache.test.ts has 41150-41199).
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  describe as kernelDescribe,
  findingsOf,
  jsonFields,
  kernelFields,
  keysJson,
  lineSerials,
  recordLine,
  show,
  startAttacker,
  stopAllAttackers,
  unusedSerial,
  expectKernelView,
  forgedLineUids,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const UID = 41100 + (process.pid % 50);
const REAL = 30;

afterEach(stopAllAttackers);

describe('attack: a forged line with a high serial before 30 real keys', () => {
  live('every real key of the attacker is listed with its exact description and the forged serial is not', async () => {
    const forged = unusedSerial(0x7ffffff0);
    const forgedLine = recordLine({ serial: forged, perm: '3f010000', uid: UID, gid: UID, type: 'user', text: 'kre-forged-high: 5' });
    const carrierDesc = `cfg: 1\n${forgedLine}`;
    const specs = [
      ...Array.from({ length: REAL }, (_, i) => ({ desc: `kre-high-real-${i}` })),
      { desc: carrierDesc, lowestOf: 40 },
    ];
    const atk = await startAttacker(UID, specs);
    try {
      const carrier = atk.serials[REAL] as string;
      const real = atk.serials.slice(0, REAL);
      // The attack is real: every key exists as made and is visible to root; the forged serial is no key.
      const told = kernelDescribe(atk.serials);
      specs.forEach((s, i) => {
        const d = told.get(atk.serials[i] as string);
        expect(d?.ok && kernelFields(d.key)).toEqual({ type: 'user', uid: UID, gid: UID, perm: '3f010001', description: show(s.desc) });
      });
      const printed = lineSerials();
      for (const s of [...atk.serials, forged]) expect(printed).toContain(s);
      expect(kernelDescribe([forged]).get(forged)).toEqual({ ok: false, error: 'noent' });
      const after = real.filter((s) => parseInt(s, 16) > parseInt(carrier, 16)).length;
      expect(after, 'real keys printed after the carrier').toBeGreaterThan(0);

      const view = new KernelView(atk.serials);
      const keys = keysJson();
      const audit = auditJson();
      const stable = view.stable();
      for (const s of atk.serials) expect(stable.has(s)).toBe(true);

      const listed = new Map(keys.keys.map((k) => [k.serial, k]));
      const absent = atk.serials.filter((s) => !listed.has(s));
      expect.soft(absent, `keys of uid ${UID} missing from keys JSON (${after} of ${REAL} real keys print after the carrier ${carrier})`).toEqual([]);
      const wrong = atk.serials
        .filter((s) => listed.has(s))
        .filter((s) => JSON.stringify(jsonFields(listed.get(s)!)) !== JSON.stringify(kernelFields(stable.get(s)!)))
        .map((s) => `${s}: ${jsonFields(listed.get(s)!).description} (kernel ${kernelFields(stable.get(s)!).description})`);
      expect.soft(wrong, 'attacker keys listed unlike the kernel describes them').toEqual([]);
      expect.soft([...listed.keys()], 'the forged serial is listed as a key').not.toContain(forged);
      expect.soft(findingsOf(audit).filter((f) => f.serial === forged), 'findings about the forged serial').toEqual([]);
      expect.soft(
        forgedLineUids(audit, carrier),
        'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(UID);
      expect.soft(
        findingsOf(audit).filter((f) => f.check === 'forged_proc_keys_line' && f.serial !== undefined && real.includes(f.serial)),
        'forged_proc_keys_line findings against the real keys',
      ).toEqual([]);
      expectKernelView(keys, stable, [0, UID]);
    } finally {
      await atk.stop();
    }
  });
});
