/**
 * Attack 3, forged records claiming another uid: a victim owns a world-readable secret (perm 3f3f3f3f, a
 * critical permissive_key finding). An attacker forges records claiming the victim's uid, to drown the real
 * key among records /proc/key-users contradicts (the victim owns 2 keys, 5 records would claim it), or to
 * replace it: a forged copy of the victim key's own serial with a harmless perm, printed just before it.
 *
 * Uids 41200-41299: victims 41200-41249, attackers 41250-41299.
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
  show,
  startAttacker,
  stopAllAttackers,
  forgedSerials,
  widestGap,
  expectKernelView,
  forgedLineUids,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const VICTIM = 41200 + (process.pid % 50);
const ATTACKER = VICTIM + 50;

afterEach(stopAllAttackers);

describe('attack: forged records claiming the victim uid', () => {
  live("four forged records of the victim's uid hide neither the victim's key nor its critical permissive_key finding", async () => {
    const secret = `kre-victim-secret-${process.pid}`;
    const victim = await startAttacker(VICTIM, [{ desc: secret, perm: 0x3f3f3f3f, payload: 'hunter2' }]);
    try {
      const vkey = victim.serials[0] as string;
      // Forged serials just below the top of the widest gap left: the carrier goes between.
      const gap = forgedSerials(4);
      const forged = gap.serials;
      const lines = forged.map((s, i) =>
        recordLine({ serial: s, perm: '3f010000', uid: VICTIM, gid: VICTIM, type: 'user', text: i < 3 ? `${secret}: 7` : secret }),
      );
      const desc = `cfg: 1\n${lines.join('\n')}`;
      const atk = await startAttacker(ATTACKER, [{ desc, fit: { lo: gap.lo, hi: parseInt(forged[0] as string, 16) } }]);
      try {
        const carrier = atk.serials[0] as string;
        expect(kernelFields(kernelKey(vkey))).toEqual({ type: 'user', uid: VICTIM, gid: VICTIM, perm: '3f3f3f3f', description: show(secret) });
        expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: ATTACKER, gid: ATTACKER, perm: '3f010001', description: show(desc) });
        const printed = lineSerials();
        for (const s of [vkey, carrier, ...forged]) expect(printed).toContain(s);
        for (const s of forged) expect(kernelDescribe([s]).get(s)).toEqual({ ok: false, error: 'noent' });

        const view = new KernelView([vkey, carrier]);
        const keys = keysJson();
        const audit = auditJson();
        const stable = view.stable();
        expect(stable.has(vkey) && stable.has(carrier)).toBe(true);

        const permissive = findingsOf(audit).filter((f) => f.check === 'permissive_key' && f.serial === vkey);
        expect.soft(permissive.map((f) => [f.severity, f.uid]), "the victim key's permissive_key finding").toEqual([['critical', VICTIM]]);
        for (const s of forged) expect.soft(keys.keys.map((k) => k.serial), `forged serial ${s} listed as a key`).not.toContain(s);
        expect.soft(findingsOf(audit).filter((f) => f.serial !== undefined && forged.includes(f.serial)), 'findings about forged serials').toEqual([]);
        expect.soft(keys.keys.filter((k) => k.serial === vkey).map(jsonFields), 'the victim key, as the kernel describes it').toEqual([
          kernelFields(stable.get(vkey)!),
        ]);
        expect.soft(
          forgedLineUids(audit, carrier),
          'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(ATTACKER);
        expect.soft(findingsOf(audit).filter((f) => f.check === 'forged_proc_keys_line' && f.uid === VICTIM), 'the victim blamed for the forgery').toEqual([]);
        expectKernelView(keys, stable, [0, VICTIM, ATTACKER]);
      } finally {
        await atk.stop();
      }
    } finally {
      await victim.stop();
    }
  });

  live("a forged copy of the victim key's own serial, printed just before it with a harmless perm, replaces nothing", async () => {
    const secret = `kre-victim-dup-${process.pid}`;
    const gap = widestGap();
    // The victim key lands in the widest gap, so the gap below it (where the carrier must land) is wide.
    const victim = await startAttacker(VICTIM, [{ desc: secret, perm: 0x3f3f3f3f, payload: 'hunter2', fit: gap }]);
    try {
      const vkey = victim.serials[0] as string;
      const below = lineSerials()
        .map((s) => parseInt(s, 16))
        .filter((s) => s < parseInt(vkey, 16));
      const lo = Math.max(2, ...below);
      const forgedLine = recordLine({ serial: vkey, perm: '3f010000', uid: VICTIM, gid: VICTIM, type: 'user', text: 'kre-harmless' });
      const desc = `cfg: 1\n${forgedLine}`;
      const atk = await startAttacker(ATTACKER, [{ desc, fit: { lo, hi: parseInt(vkey, 16) } }]);
      try {
        const carrier = atk.serials[0] as string;
        expect(kernelFields(kernelKey(vkey))).toEqual({ type: 'user', uid: VICTIM, gid: VICTIM, perm: '3f3f3f3f', description: show(secret) });
        expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: ATTACKER, gid: ATTACKER, perm: '3f010001', description: show(desc) });
        // The kernel prints the forged copy first, then the real line, with the same serial.
        const printed = lineSerials();
        expect(printed.filter((s) => s === vkey)).toHaveLength(2);
        expect(printed).toContain(carrier);

        const view = new KernelView([vkey, carrier]);
        const keys = keysJson();
        const audit = auditJson();
        const stable = view.stable();
        expect(stable.has(vkey) && stable.has(carrier)).toBe(true);

        expect.soft(keys.keys.filter((k) => k.serial === vkey).map(jsonFields), 'the victim key: once, as the kernel describes it').toEqual([
          kernelFields(stable.get(vkey)!),
        ]);
        const permissive = findingsOf(audit).filter((f) => f.check === 'permissive_key' && f.serial === vkey);
        expect.soft(permissive.map((f) => [f.severity, f.uid]), "the victim key's permissive_key finding").toEqual([['critical', VICTIM]]);
        expect.soft(
          forgedLineUids(audit, carrier),
          'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(ATTACKER);
        expectKernelView(keys, stable, [0, VICTIM, ATTACKER]);
      } finally {
        await atk.stop();
      }
    } finally {
      await victim.stop();
    }
  });
});
