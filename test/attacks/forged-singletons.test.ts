/**
 * Attack 4, forged singletons: forged records of root's .persistent_register, _uid.0 and _persistent.0, of which
 * the kernel makes one each (and root's real .persistent_register and _uid.0 are visible to root). A reader that
 * believes them sees a second register and a second user keyring of root: the real ones must not become
 * impostors, suspects or the subject of new findings, and the forged ones must not be keys.
 *
 * Uids 41300-41399.
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  describe as kernelDescribe,
  findingsOf,
  kernelFields,
  kernelKey,
  keysJson,
  lineSerials,
  recordLine,
  show,
  startAttacker,
  stopAllAttackers,
  forgedSerials,
  type Doc,
  type Finding,
  type JsonKey,
  expectKernelView,
  forgedLineUids,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const UID = 41300 + (process.pid % 100);

afterEach(stopAllAttackers);

const findingKey = (f: Finding): string => `${f.check}/${f.severity}/${f.serial ?? '-'}/${f.uid ?? '-'}`;
/** What the classifier says of a key: these must not change for a real key because of someone else's forgery. */
const judgement = (k: JsonKey | undefined): string =>
  JSON.stringify(k === undefined ? null : { class: k['class'], claimedClass: k['claimedClass'], impostor: k['impostor'], suspect: k['suspect'], state: k['state'] });

describe('attack: forged records of root singletons', () => {
  live("forged .persistent_register, _uid.0 and _persistent.0 of root: no forged key, and nothing new said about root's real keys", async () => {
    // Without the attack.
    const baseKeys: Doc = keysJson();
    const baseAudit: Doc = auditJson();
    const baseSerials = new Set(baseKeys.keys.map((k) => k.serial));

    const gap = forgedSerials(3);
    const forged = gap.serials;
    const [f1, f2, f3] = forged as [string, string, string];
    const lines = [
      recordLine({ serial: f1, flags: 'I------', perm: '1f030000', uid: 0, gid: 0, type: 'keyring', text: '.persistent_register: 1' }),
      recordLine({ serial: f2, flags: 'I--Q---', usage: 2, perm: '1f3f0000', uid: 0, gid: 65534, type: 'keyring', text: '_uid.0: empty' }),
      recordLine({ serial: f3, flags: 'I------', usage: 2, expiry: '2d', perm: '1f030000', uid: 0, gid: 65534, type: 'keyring', text: '_persistent.0' }),
    ];
    const desc = `cfg: 1\n${lines.join('\n')}`;
    const atk = await startAttacker(UID, [{ desc, fit: { lo: gap.lo, hi: parseInt(f1, 16) } }]);
    try {
      const carrier = atk.serials[0] as string;
      expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: UID, gid: UID, perm: '3f010001', description: show(desc) });
      const printed = lineSerials();
      for (const s of [carrier, ...forged]) expect(printed).toContain(s);
      for (const s of forged) expect(kernelDescribe([s]).get(s)).toEqual({ ok: false, error: 'noent' });

      const view = new KernelView([carrier]);
      const keys = keysJson();
      const audit = auditJson();
      const stable = view.stable();
      expect(stable.has(carrier)).toBe(true);

      const listed = keys.keys.map((k) => k.serial);
      for (const s of forged) expect.soft(listed, `forged serial ${s} listed as a key`).not.toContain(s);
      expect.soft(findingsOf(audit).filter((f) => f.serial !== undefined && forged.includes(f.serial)), 'findings about forged serials').toEqual([]);
      expect.soft(
        forgedLineUids(audit, carrier),
        'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(UID);

      // New findings about real keys (confirmed by the kernel and there before the attack, or the attacker's),
      // other than the one on the carrier.
      const before = new Set(findingsOf(baseAudit).map(findingKey));
      const fresh = findingsOf(audit).filter(
        (f) =>
          !before.has(findingKey(f)) &&
          f.serial !== undefined &&
          stable.has(f.serial) &&
          (baseSerials.has(f.serial) || f.serial === carrier) &&
          !(f.check === 'forged_proc_keys_line' && f.serial === carrier),
      );
      expect.soft(fresh, 'new findings about real keys').toEqual([]);
      // Findings naming root's real keys as impostors or suspects.
      const rootReal = [...stable.values()].filter((k) => k.uid === 0).map((k) => k.serial);
      expect.soft(
        findingsOf(audit).filter(
          (f) =>
            f.serial !== undefined &&
            rootReal.includes(f.serial) &&
            (f.check === 'special_keyring_impostor' || f.check === 'forged_proc_keys_line') &&
            !before.has(findingKey(f)),
        ),
        "root's real keys called impostors or suspect",
      ).toEqual([]);
      // Root-wide findings without a serial that were not there before (e.g. a second user keyring of root);
      // visibility_gap aside, which other tests' root keys can bring and take away while this one runs.
      expect.soft(
        findingsOf(audit).filter((f) => f.serial === undefined && f.uid === 0 && f.check !== 'visibility_gap' && !before.has(findingKey(f))),
        'new findings about uid 0',
      ).toEqual([]);

      // Root's real singletons keep their class and trust.
      const baseBy = new Map(baseKeys.keys.map((k) => [k.serial, k]));
      const nowBy = new Map(keys.keys.map((k) => [k.serial, k]));
      const changed = rootReal
        .filter((s) => baseBy.has(s))
        .filter((s) => judgement(baseBy.get(s)) !== judgement(nowBy.get(s)))
        .map((s) => `${s} ${show(stable.get(s)!.description)}: ${judgement(baseBy.get(s))} -> ${judgement(nowBy.get(s))}`);
      expect.soft(changed, "root's real keys judged differently under the attack").toEqual([]);

      expectKernelView(keys, stable, [0, UID]);
    } finally {
      await atk.stop();
    }
  });
});
