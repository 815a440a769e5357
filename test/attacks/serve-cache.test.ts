/**
 * Attacks beyond the briefed list, on `serve` across scrapes: a serving exporter may keep what the kernel said
 * about each serial at the last scrape. A forged record that copies what a key WAS (its serial, type, owner,
 * group and perm) must not be taken on the word of that memory:
 * - the ghost: an attacker's world-readable key is scraped, deleted, and its old record planted in a revoked
 *   carrier just below its serial; the key must not outlive its deletion in the exporter;
 * - the stale perm: a victim's world-readable key is scraped, then fixed (setperm 3f010001), and an attacker
 *   plants its old record (perm 3f3f3f3f) just before it; the exporter must show the fixed perm, not the old.
 *
 * The keys and audit JSON of `serve --web.enable-audit-endpoint` (GET /keys, GET /audit) show what its reads concluded.
 *
 * Uids 41150-41199: ghost attackers 41150-41174; victims 41175-41186 and their attackers 41187-41198.
 */
import { afterEach, describe, expect } from 'vitest';
import {
  describe as kernelDescribe,
  descriptionBytes,
  findingsOf,
  jsonFields,
  kernelFields,
  kernelKey,
  keysJson,
  lineSerials,
  procKeysBytes,
  show,
  startAttacker,
  stopAllAttackers,
  widestGap,
  withServer,
  type Doc,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);

afterEach(stopAllAttackers);

/** What a scrape of `serve` concluded: its keys (GET /keys) and its findings (GET /audit), of one read each. */
async function scrapeAudit(base: string): Promise<Doc> {
  const get = async (path: string): Promise<Doc> => {
    const r = await fetch(`${base}${path}`);
    expect(r.status, `GET ${path}`).toBe(200);
    return (await r.json()) as Doc;
  };
  const keys = await get('/keys');
  const audit = await get('/audit');
  return { ...audit, keys: keys.keys };
}

/** Root's /proc/keys line of `serial` without its summary (": N" at the end), as a forger copies it. */
function recordWithoutSummary(serial: string): string {
  const line = procKeysBytes()
    .toString('latin1')
    .split('\n')
    .find((l) => l.startsWith(`${serial} `));
  expect(line, `the line of ${serial} in root's /proc/keys`).toBeDefined();
  return (line as string).replace(/: \d+$/, '');
}

/** The highest serial printed in root's /proc/keys below `serial` (2 if none). */
const visibleBelow = (serial: string): number =>
  Math.max(
    2,
    ...lineSerials()
      .map((s) => parseInt(s, 16))
      .filter((s) => s < parseInt(serial, 16)),
  );

describe('attack: forged records that copy what a key was, against a serving exporter', () => {
  live('a deleted key whose old record is planted in a revoked carrier does not live on in `serve`', async () => {
    const uid = 41150 + (process.pid % 25);
    const name = `kre-ghost-${process.pid}`;
    await withServer(
      async (base) => {
        const first = await startAttacker(uid, [{ desc: name, perm: 0x3f3f3f3f }]);
        let ghost: string;
        let old: string;
        try {
          ghost = first.serials[0] as string;
          expect(kernelFields(kernelKey(ghost))).toEqual({ type: 'user', uid, gid: uid, perm: '3f3f3f3f', description: show(name) });
          // The first scrape sees the key as it is (no attack yet: the exporter's ordinary work).
          const before = await scrapeAudit(base);
          expect(before.keys.filter((k) => k.serial === ghost).map(jsonFields)).toEqual([kernelFields(kernelKey(ghost))]);
          old = recordWithoutSummary(ghost);
        } finally {
          await first.stop();
        }
        // The key is gone (its session dropped, its quota given back).
        expect(kernelDescribe([ghost]).get(ghost)).toEqual({ ok: false, error: 'noent' });

        const desc = `cfg: 1\n${old}`;
        const second = await startAttacker(uid, [{ desc, fit: { lo: visibleBelow(ghost), hi: parseInt(ghost, 16) }, dead: 'revoked' }]);
        try {
          const carrier = second.serials[0] as string;
          expect(kernelDescribe([carrier]).get(carrier)).toEqual({ ok: false, error: 'revoked' });
          const printed = lineSerials();
          expect(printed).toContain(carrier);
          expect(printed).toContain(ghost);

          const after = await scrapeAudit(base);
          expect.soft(after.keys.filter((k) => k.serial === ghost).map(jsonFields), 'the deleted key, listed by `serve`').toEqual([]);
          expect.soft(findingsOf(after).filter((f) => f.serial === ghost), 'findings about the deleted key').toEqual([]);
          expect.soft(
            after.keys.filter((k) => k.serial === carrier).map((k) => ({ state: k['state'], description: show(descriptionBytes(k)) })),
            'the revoked carrier: once, with the description its owner wrote',
          ).toEqual([{ state: 'revoked', description: show(desc) }]);
          // The same read without memory (a one-shot command) is the control.
          expect.soft(keysJson().keys.filter((k) => k.serial === ghost).map(jsonFields), '(control) the deleted key, listed by `keys`').toEqual([]);
        } finally {
          await second.stop();
        }
      },
      ['--web.enable-audit-endpoint'],
    );
  });

  live("a key fixed with setperm is shown fixed in `serve`, though a carrier just before it repeats its old record", async () => {
    const victim = 41175 + (process.pid % 12);
    const attacker = victim + 12;
    const secret = `kre-stale-secret-${process.pid}`;
    await withServer(
      async (base) => {
        const v = await startAttacker(victim, [{ desc: secret, perm: 0x3f3f3f3f, payload: 'hunter2', fit: widestGap() }]);
        try {
          const key = v.serials[0] as string;
          const before = await scrapeAudit(base);
          expect(findingsOf(before).filter((f) => f.check === 'permissive_key' && f.serial === key).map((f) => f.severity)).toEqual(['critical']);
          const old = recordWithoutSummary(key);
          // The fix: every user may setattr this key, root too, so root restricts it (keeping other's view).
          const fix = sh(`keyctl setperm 0x${key} 0x3f010001`);
          expect(fix.status, fix.stderr).toBe(0);
          expect(kernelKey(key).perm).toBe('3f010001');

          const desc = `cfg: 1\n${old}`;
          const atk = await startAttacker(attacker, [{ desc, fit: { lo: visibleBelow(key), hi: parseInt(key, 16) } }]);
          try {
            const carrier = atk.serials[0] as string;
            expect(kernelFields(kernelKey(carrier))).toEqual({ type: 'user', uid: attacker, gid: attacker, perm: '3f010001', description: show(desc) });
            expect(lineSerials().filter((s) => s === key)).toHaveLength(2);

            const after = await scrapeAudit(base);
            expect.soft(after.keys.filter((k) => k.serial === key).map(jsonFields), 'the fixed key, as the kernel describes it now').toEqual([
              kernelFields(kernelKey(key)),
            ]);
            expect.soft(findingsOf(after).filter((f) => f.check === 'permissive_key' && f.serial === key), 'permissive_key on the fixed key').toEqual([]);
            expect.soft(after.keys.filter((k) => k.serial === carrier).map(jsonFields), 'the carrier, as the kernel describes it').toEqual([
              kernelFields(kernelKey(carrier)),
            ]);
            // The same read without memory (a one-shot command) is the control.
            expect.soft(keysJson().keys.filter((k) => k.serial === key).map(jsonFields), '(control) the fixed key, listed by `keys`').toEqual([
              kernelFields(kernelKey(key)),
            ]);
          } finally {
            await atk.stop();
          }
        } finally {
          await v.stop();
        }
      },
      ['--web.enable-audit-endpoint'],
    );
  });
});
