/**
 * The property every attack must leave true, checked live on random hostile descriptions: every key the
 * exporter lists that the kernel can describe (as root) has the type, uid, gid, perm and description that
 * KEYCTL_DESCRIBE gives; no real key of the attackers or of root is missing; no forged serial (one the kernel
 * has no key for) is a key or the subject of a finding; metrics and audit still succeed.
 *
 * Descriptions are drawn from a seeded generator: forged records (any flags, expiry, perm, uid, type, with or
 * without a summary, some copying a real serial), newlines, CRs, tabs, escape sequences, fake summaries. The seed
 * is in every assertion message; KRE_ATTACK_SEED=N replays a run.
 *
 * Uids 41700-41779: two attackers, 41700 + pid % 40 and 40 above it (flapping-perm.test.ts has 41780-41799).
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  describe as kernelDescribe,
  disagreements,
  findingsOf,
  hex8,
  lineSerials,
  missing,
  recordLine,
  run,
  runJson,
  samples,
  startAttacker,
  stopAllAttackers,
  type Attacker,
  type KeySpec,
} from '../helpers/attacker.js';
import { mulberry32 } from '../helpers/line-generator.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const A = 41700 + (process.pid % 40);
const B = A + 40;
const ROUNDS = 3;
const KEYS_EACH = 10;
const SEED = process.env['KRE_ATTACK_SEED'] !== undefined ? Number(process.env['KRE_ATTACK_SEED']) : Date.now() % 2 ** 31;

afterEach(stopAllAttackers);


function hostileKeys(seed: number, realSerials: readonly string[]): { specs: KeySpec[]; forged: string[] } {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const int = (n: number): number => Math.floor(rnd() * n);
  const forged: string[] = [];
  const record = (): string => {
    const serial = realSerials.length > 0 && rnd() < 0.2 ? pick(realSerials) : hex8(3 + int(0x7ffffffc));
    forged.push(serial);
    const uid = pick([0, A, B, 65534, 40000 + int(999)]);
    return recordLine({
      serial,
      flags: pick(['I--Q---', 'I------', 'IR-Q---', 'I--QU--', 'I--Q-N-', 'I-DQ---', '---QU--', 'I--Q--i']),
      usage: 1 + int(3),
      expiry: pick(['perm', 'expd', '5m', '2d', '1w', '59s']),
      perm: pick(['3f010000', '3f3f3f3f', '1f3f0000', '3f1b0000', '0c030000', '3f0b0b0b']),
      uid,
      gid: pick([uid, 0, 65534]),
      type: pick(['user', 'keyring', 'logon', 'big_key', 'asymmetri', '.request_', 'fscrypt-p', '\x1b[1mX\x1b[0', 'rxrpc_s']),
      text: pick(['_uid.0', '_uid_ses.0', '_ses', '_persistent.0', '.persistent_register', 'kre-forged', 'invocation_id']) + pick(['', ': 1', ': empty', ': 4294967295', ': deferred']),
    });
  };
  const pieces: (() => string)[] = [
    () => '\n',
    () => '\n' + record(),
    () => '\n' + record(),
    () => ': ' + String(int(100)),
    () => ': empty',
    () => '\r',
    () => '\r\n',
    () => '\t',
    () => '\x1b[2J',
    () => '\x1b]0;t\x07',
    () => ' '.repeat(1 + int(20)),
    () => 'A'.repeat(1 + int(30)),
    () => String.fromCharCode(...Array.from({ length: 1 + int(12) }, () => 0x21 + int(0x5e))),
  ];
  const specs: KeySpec[] = [];
  for (let i = 0; i < KEYS_EACH; i++) {
    let desc = `kre-p-${seed}-${i}`;
    const n = 1 + int(6);
    for (let j = 0; j < n; j++) desc += pick(pieces)();
    specs.push({
      desc: desc.slice(0, 4095),
      type: rnd() < 0.15 ? 'keyring' : 'user',
      perm: pick([0x3f010001, 0x3f3f3f3f, 0x3f3f0001, 0x3f010003, 0x3f01000b]),
    });
  }
  return { specs, forged };
}

describe('property: the exporter agrees with KEYCTL_DESCRIBE after random hostile descriptions', () => {
  live(
    `${ROUNDS} rounds of ${2 * KEYS_EACH} keys from two uids (seed ${SEED})`,
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const seed = SEED + round;
        const visible = lineSerials();
        const a = hostileKeys(seed, visible);
        const b = hostileKeys(seed + 1_000_003, visible);
        const attackers: Attacker[] = [];
        try {
          attackers.push(await startAttacker(A, a.specs));
          attackers.push(await startAttacker(B, b.specs));
          const made = attackers.flatMap((atk) => atk.serials);
          const told = kernelDescribe(made);
          const specs = [...a.specs, ...b.specs];
          made.forEach((s, i) => {
            const d = told.get(s);
            expect(d?.ok && d.key.description.equals(Buffer.from((specs[i] as KeySpec).desc, 'latin1')), `seed ${seed}: key ${s} made as written`).toBe(true);
          });
          const printed = new Set(lineSerials());
          expect(made.filter((s) => !printed.has(s)), `seed ${seed}: keys root cannot see`).toEqual([]);
          const forgedSerials = [...new Set([...a.forged, ...b.forged])];
          const known = kernelDescribe(forgedSerials);
          const nokey = forgedSerials.filter((s) => {
            const d = known.get(s);
            return d !== undefined && !d.ok && d.error === 'noent';
          });

          const view = new KernelView(made);
          const keys = runJson('keys --format json').doc;
          const audit = runJson('audit --format json --fail-on never').doc;
          const metrics = run('metrics');
          const stable = view.stable();
          for (const s of made) expect(stable.has(s), `seed ${seed}: ${s} stable`).toBe(true);

          expect.soft(disagreements(keys, stable), `seed ${seed}: keys JSON against keyctl rdescribe`).toEqual([]);
          expect.soft(missing(keys, stable, [0, A, B]), `seed ${seed}: real keys missing from keys JSON`).toEqual([]);
          const counts = new Map<string, number>();
          for (const k of keys.keys) counts.set(k.serial, (counts.get(k.serial) ?? 0) + 1);
          expect.soft(made.filter((s) => counts.get(s) !== 1).map((s) => `${s}: ${counts.get(s) ?? 0}`), `seed ${seed}: attacker keys not listed exactly once`).toEqual([]);
          expect.soft(keys.keys.filter((k) => nokey.includes(k.serial)).map((k) => k.serial), `seed ${seed}: forged serials listed as keys`).toEqual([]);
          expect.soft(findingsOf(audit).filter((f) => f.serial !== undefined && nokey.includes(f.serial)), `seed ${seed}: findings about forged serials`).toEqual([]);
          expect.soft(metrics.status, `seed ${seed}: metrics exit code`).toBe(0);
          expect.soft(
            samples(metrics.stdout).filter((s) => s.name === 'keyring_scrape_collector_success' && s.value !== '1'),
            `seed ${seed}: failed collectors`,
          ).toEqual([]);
        } finally {
          await Promise.all(attackers.map((atk) => atk.stop()));
        }
      }
    },
    120_000,
  );
});
