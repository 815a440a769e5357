/**
 * Attack 7, a serial collision in --view all-users: the victim's key is readable by the victim's group (perm
 * 3f3f3f00, a critical permissive_key finding) and invisible to root's own read; only the victim's read of
 * /proc/keys lists it. An attacker forges a record with the victim key's serial and fields but a harmless perm
 * and another description, in a carrier root can view (so root's read, merged first, prints it) placed just
 * below the victim key's serial. Merged by serial, the forgery must not replace the real key.
 *
 * Uids 41600-41699: attackers 41600-41649, victims 41650-41699 (a victim's read comes after its attacker's).
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  describe as kernelDescribe,
  disagreements,
  findingsOf,
  jsonFields,
  kernelFields,
  kernelKey,
  lineSerials,
  recordLine,
  runJson,
  show,
  startAttacker,
  stopAllAttackers,
  widestGap,
  forgedLineUids,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const ATTACKER = 41600 + (process.pid % 50);
const VICTIM = ATTACKER + 50;

afterEach(stopAllAttackers);

/** The line of /proc/keys for `serial` as `uid` reads it. */
function lineAs(uid: number, serial: string): string | undefined {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'cat', '/proc/keys'], { encoding: 'latin1', cwd: '/' });
  return r.stdout.split('\n').find((l) => l.startsWith(`${serial} `));
}

describe('attack: a forged record with the serial of a key only its owner can view, under --view all-users', () => {
  live("the victim's key is listed once, as the kernel describes it to its owner, and keeps its permissive_key finding", async () => {
    const secret = `kre-group-secret-${process.pid}`;
    const gap = widestGap();
    const victim = await startAttacker(VICTIM, [{ desc: secret, perm: 0x3f3f3f00, payload: 'hunter2', fit: gap }]);
    try {
      const vkey = victim.serials[0] as string;
      // Root cannot view the victim's key; its owner can.
      expect(kernelDescribe([vkey]).get(vkey)).toEqual({ ok: false, error: 'denied' });
      const truth = kernelKey(vkey, VICTIM);
      expect(kernelFields(truth)).toEqual({ type: 'user', uid: VICTIM, gid: VICTIM, perm: '3f3f3f00', description: show(secret) });
      expect(lineSerials()).not.toContain(vkey);
      const real = lineAs(VICTIM, vkey);
      expect(real, "the victim key in the victim's /proc/keys").toBeDefined();

      // The forged copy: the real line's serial, flags, usage, expiry, uid, gid and type; a harmless perm and
      // another description (the kernel appends the carrier's summary ": 1").
      const m = /^([0-9a-f]{8}) (\S+) +(\d+) +(\S+) [0-9a-f]{8} +(\d+) +(\d+) (.{9}) /.exec(real as string);
      expect(m).not.toBeNull();
      const [, , flags, usage, expiry, uid, gid, type] = m as unknown as string[];
      const forgedLine = recordLine({
        serial: vkey,
        flags: flags as string,
        usage: Number(usage),
        expiry: expiry as string,
        perm: '3f010000',
        uid: Number(uid),
        gid: Number(gid),
        type: (type as string).trimEnd(),
        text: 'kre-harmless-note',
      });
      const desc = `cfg: 1\n${forgedLine}`;
      const below = lineSerials()
        .map((s) => parseInt(s, 16))
        .filter((s) => s < parseInt(vkey, 16));
      const atk = await startAttacker(ATTACKER, [{ desc, fit: { lo: Math.max(2, ...below), hi: parseInt(vkey, 16) } }]);
      try {
        const carrier = atk.serials[0] as string;
        expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: ATTACKER, gid: ATTACKER, perm: '3f010001', description: show(desc) });
        expect(lineSerials()).toContain(carrier);
        expect(lineSerials()).toContain(vkey); // the forged line, in root's read

        const view = new KernelView([carrier]);
        const { doc } = runJson('audit --view all-users --format json --fail-on never');
        doc.keys = runJson('keys --view all-users --format json').doc.keys;
        const stable = view.stable();
        expect(kernelFields(kernelKey(vkey, VICTIM))).toEqual(kernelFields(truth));
        expect(stable.has(carrier)).toBe(true);

        expect.soft(doc.keys.filter((k) => k.serial === vkey).map(jsonFields), 'the victim key: once, as the kernel describes it to its owner').toEqual([
          kernelFields(truth),
        ]);
        const permissive = findingsOf(doc).filter((f) => f.check === 'permissive_key' && f.serial === vkey);
        expect.soft(permissive.map((f) => [f.severity, f.uid]), "the victim key's permissive_key finding").toEqual([['critical', VICTIM]]);
        expect.soft(doc.keys.filter((k) => k.serial === carrier).map(jsonFields), 'the carrier, as the kernel describes it').toEqual([
          kernelFields(stable.get(carrier)!),
        ]);
        expect.soft(
          forgedLineUids(doc, carrier),
          'forged_proc_keys_line on the carrier (its uid)',
        ).toContain(ATTACKER);
        expect.soft(disagreements(doc, stable), 'all-users keys against keyctl rdescribe (as root)').toEqual([]);
      } finally {
        await atk.stop();
      }
    } finally {
      await victim.stop();
    }
  });
});
