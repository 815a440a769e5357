/**
 * An attack beyond the briefed list: the dead carrier. KEYCTL_DESCRIBE refuses a revoked or expired key
 * (key_validate(): EKEYREVOKED, EKEYEXPIRED), yet /proc/keys keeps listing it, description and all, while it is
 * linked (up to gc_delay, 5 minutes by default). An attacker writes the fake-summary carrier of attack 1, makes
 * it other-viewable, and revokes it (or lets a 1-second timeout expire): the one record whose description the
 * kernel will no longer confirm is the one holding the forged line. Every other line that starts like a record
 * can still be asked about, so a reader that confirms what it can still tells every real key from the forgery.
 *
 * A victim (another uid) owns a world-readable secret whose serial prints after the carrier: it must stay
 * listed, with its critical permissive_key finding.
 *
 * A third case copies the victim's own record, verbatim, into the revoked carrier, printed just before the real
 * one: the copy matches what the kernel says of that serial, so only its place tells it from the real record.
 *
 * Uids 41850-41897: attackers 41850 + pid % 8 (revoked), 41866 + pid % 8 (expired), 41882 + pid % 8 (copy),
 * each with its victim 8 above.
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  describe as kernelDescribe,
  descriptionBytes,
  disagreements,
  findingsOf,
  jsonFields,
  kernelFields,
  kernelKey,
  keysJson,
  lineSerials,
  missing,
  procKeysBytes,
  recordLine,
  run,
  samples,
  serialCeiling,
  show,
  startAttacker,
  stopAllAttackers,
  unusedSerial,
  expectKernelView,
  forgedLineUids,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);

afterEach(stopAllAttackers);

const rootPersistentSeries = (text: string): boolean =>
  samples(text).some((s) => s.name === 'keyring_persistent_keyring_expiry_seconds' && s.labels['uid'] === '0');

async function deadCarrier(dead: 'revoked' | 'expired', attacker: number, victim: number): Promise<void> {
  const secret = `kre-dead-victim-secret-${process.pid}`;
  // The victim's key in the upper half of the serials, the carrier below it: the carrier prints first.
  const top = serialCeiling();
  const v = await startAttacker(victim, [{ desc: secret, perm: 0x3f3f3f3f, payload: 'hunter2', fit: { lo: Math.floor(top / 2), hi: top - 0x10000 } }]);
  try {
    const vkey = v.serials[0] as string;
    const forged = unusedSerial(top - 16 - (process.pid % 4096));
    const forgedLine = recordLine({ serial: forged, flags: 'I------', usage: 2, expiry: '2d', perm: '1f030000', uid: 0, gid: 65534, type: 'keyring', text: '_persistent.0' });
    const desc = `cfg: 1\n${forgedLine}`;
    const atk = await startAttacker(attacker, [{ desc, fit: { lo: 2, hi: parseInt(vkey, 16) }, dead }]);
    try {
      const carrier = atk.serials[0] as string;
      // The attack is real: the kernel refuses to describe the carrier, still prints it with the forged line,
      // and has no key with the forged serial; the victim's key exists, visible to root.
      expect(kernelDescribe([carrier]).get(carrier)).toEqual({ ok: false, error: dead });
      const printed = lineSerials();
      expect(printed).toContain(carrier);
      expect(printed).toContain(forged);
      expect(kernelDescribe([forged]).get(forged)).toEqual({ ok: false, error: 'noent' });
      expect(kernelFields(kernelKey(vkey))).toEqual({ type: 'user', uid: victim, gid: victim, perm: '3f3f3f3f', description: show(secret) });

      const view = new KernelView([vkey]);
      const keys = keysJson();
      const audit = auditJson();
      const metrics = run('metrics');
      const stable = view.stable();
      expect(stable.has(vkey)).toBe(true);
      const rootHasPersistent = [...stable.values()].some((k) => k.uid === 0 && k.type === 'keyring' && k.description.toString('latin1') === '_persistent.0');

      expect.soft(missing(keys, stable, [0, victim, attacker]), 'real keys missing from keys JSON').toEqual([]);
      const permissive = findingsOf(audit).filter((f) => f.check === 'permissive_key' && f.serial === vkey);
      expect.soft(permissive.map((f) => [f.severity, f.uid]), "the victim key's permissive_key finding").toEqual([['critical', victim]]);
      expect.soft(keys.keys.map((k) => k.serial), 'the forged serial listed as a key').not.toContain(forged);
      expect.soft(findingsOf(audit).filter((f) => f.serial === forged), 'findings about the forged serial').toEqual([]);
      const listed = keys.keys.filter((k) => k.serial === carrier);
      expect.soft(
        listed.map((k) => ({ state: k['state'], description: show(descriptionBytes(k)) })),
        'the dead carrier: once, in its state, with the description its owner wrote',
      ).toEqual([{ state: dead, description: show(desc) }]);
      expect.soft(
        forgedLineUids(audit, carrier),
        'forged_proc_keys_line on the carrier (its uid)',
      ).toContain(attacker);
      expect(metrics.status, metrics.stderr).toBe(0);
      expect.soft(rootPersistentSeries(metrics.stdout), `keyring_persistent_keyring_expiry_seconds{uid="0"} (kernel: root has one = ${rootHasPersistent})`).toBe(rootHasPersistent);
      expect.soft(disagreements(keys, stable), 'keys JSON against keyctl rdescribe').toEqual([]);
    } finally {
      await atk.stop();
    }
  } finally {
    await v.stop();
  }
}

describe('attack: a forged record in the description of a dead key (the kernel describes no dead key)', () => {
  live('a revoked carrier hides no real key, forges no key and keeps its whole description', async () => {
    const attacker = 41850 + (process.pid % 8);
    await deadCarrier('revoked', attacker, attacker + 8);
  });

  live('an expired carrier hides no real key, forges no key and keeps its whole description', async () => {
    const attacker = 41866 + (process.pid % 8);
    await deadCarrier('expired', attacker, attacker + 8);
  });

  live("a revoked carrier holding a verbatim copy of the victim's record: the victim listed once, the carrier whole and reported", async () => {
    const attacker = 41882 + (process.pid % 8);
    const victim = attacker + 8;
    const secret = `kre-dead-copied-secret-${process.pid}`;
    const top = serialCeiling();
    const v = await startAttacker(victim, [{ desc: secret, perm: 0x3f3f3f3f, payload: 'hunter2', fit: { lo: Math.floor(top / 2), hi: top - 0x10000 } }]);
    try {
      const vkey = v.serials[0] as string;
      const real = procKeysBytes()
        .toString('latin1')
        .split('\n')
        .find((l) => l.startsWith(`${vkey} `));
      expect(real, "the victim's record in root's /proc/keys").toBeDefined();
      const desc = `cfg: 1\n${(real as string).replace(/: \d+$/, '')}`;
      const below = Math.max(
        2,
        ...lineSerials()
          .map((s) => parseInt(s, 16))
          .filter((s) => s < parseInt(vkey, 16)),
      );
      const atk = await startAttacker(attacker, [{ desc, fit: { lo: below, hi: parseInt(vkey, 16) }, dead: 'revoked' }]);
      try {
        const carrier = atk.serials[0] as string;
        expect(kernelDescribe([carrier]).get(carrier)).toEqual({ ok: false, error: 'revoked' });
        expect(lineSerials().filter((s) => s === vkey)).toHaveLength(2);
        expect(kernelFields(kernelKey(vkey))).toEqual({ type: 'user', uid: victim, gid: victim, perm: '3f3f3f3f', description: show(secret) });

        const view = new KernelView([vkey]);
        const keys = keysJson();
        const audit = auditJson();
        const stable = view.stable();
        expect(stable.has(vkey)).toBe(true);

        expect.soft(keys.keys.filter((k) => k.serial === vkey).map(jsonFields), 'the victim key: once, as the kernel describes it').toEqual([
          kernelFields(stable.get(vkey)!),
        ]);
        expect.soft(
          findingsOf(audit)
            .filter((f) => f.check === 'permissive_key' && f.serial === vkey)
            .map((f) => [f.severity, f.uid]),
          "the victim key's permissive_key finding",
        ).toEqual([['critical', victim]]);
        expect.soft(
          keys.keys.filter((k) => k.serial === carrier).map((k) => ({ state: k['state'], description: show(descriptionBytes(k)) })),
          'the revoked carrier: once, with the description its owner wrote',
        ).toEqual([{ state: 'revoked', description: show(desc) }]);
        expect.soft(
          forgedLineUids(audit, carrier),
          'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(attacker);
        expectKernelView(keys, stable, [0, victim, attacker]);
      } finally {
        await atk.stop();
      }
    } finally {
      await v.stop();
    }
  });
});
