/**
 * Attacks beyond the list the rewrite was briefed with:
 * - label cardinality: forged records claiming 120 made-up uids must not become 120 uid label values (a
 *   Prometheus series explosion any user can cause) nor findings about uids the kernel does not know;
 * - C1 controls and bidirectional overrides: U+009B is CSI on 8-bit terminals (and a raw 0x9b byte too), U+202E
 *   reverses the text after it ("Trojan Source"); neither may reach a terminal report live.
 *
 * Uids 41800-41849: the cardinality attacker 41800-41829, the C1/bidi one 41830-41849 (dead-carrier.test.ts has
 * 41850-41899).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  disagreements,
  findingsOf,
  forgedSerials,
  widestGaps,
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
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const CARD = 41800 + (process.pid % 30);
const BIDI = 41830 + (process.pid % 20);

afterEach(stopAllAttackers);

const keyUsersUids = (): Set<string> =>
  new Set([...readFileSync('/proc/key-users', 'latin1').matchAll(/^\s*(\d+):/gm)].map((m) => m[1] as string));

describe('attack: forged records claiming many made-up uids', () => {
  live('uid labels and findings name only uids the kernel counts keys for', async () => {
    const before = keyUsersUids();
    // 120 uids no one has keys for, three carriers of 40 forged records each (about 3,500 bytes a carrier).
    const fake = Array.from({ length: 120 }, (_, i) => 59000 + i).filter((u) => !before.has(String(u)));
    expect(fake.length).toBeGreaterThan(100);
    // Each carrier in a gap of its own, its 40 records just below the gap's top: each carrier is followed by
    // its records, in ascending order, with no other line between.
    const groups = widestGaps(3).map((g, c) => {
      const uids = fake.slice(c * 40, c * 40 + 40);
      const { lo, serials } = forgedSerials(uids.length, g);
      const lines = uids.map((uid, i) => recordLine({ serial: serials[i] as string, perm: '3f3f3f3f', uid, gid: uid, type: 'user', text: `kre-card-${uid}: 9` }));
      return { desc: `cfg-${c}: 1\n${lines.join('\n')}`, fit: { lo, hi: parseInt(serials[0] as string, 16) }, serials };
    });
    const atk = await startAttacker(
      CARD,
      groups.map(({ desc, fit }) => ({ desc, fit })),
    );
    try {
      groups.forEach(({ desc }, i) =>
        expect(kernelFields(kernelKey(atk.serials[i] as string))).toEqual({ type: 'user', uid: CARD, gid: CARD, perm: '3f010001', description: show(desc) }),
      );
      const printed = lineSerials();
      for (const s of [...atk.serials, ...groups.flatMap((g) => g.serials)]) expect(printed).toContain(s);

      const view = new KernelView(atk.serials);
      const metrics = run('metrics');
      const keys = keysJson();
      const audit = auditJson();
      const stable = view.stable();
      expect(metrics.status, metrics.stderr).toBe(0);
      // Still no key of any made-up uid (so a label for one can only come from the forged records).
      const after = keyUsersUids();
      expect(fake.filter((u) => after.has(String(u)))).toEqual([]);

      const fakeSet = new Set(fake);
      const labels = new Set(samples(metrics.stdout).flatMap((s) => (s.labels['uid'] !== undefined ? [s.labels['uid']] : [])));
      const foreign = [...labels].filter((u) => fakeSet.has(Number(u)));
      expect.soft(foreign.length, `uid label values of made-up uids (${foreign.slice(0, 10).join(', ')}…)`).toBe(0);
      expect.soft(keys.keys.filter((k) => fakeSet.has(k.uid)).length, 'keys of made-up uids in keys JSON').toBe(0);
      expect.soft(findingsOf(audit).filter((f) => f.uid !== undefined && fakeSet.has(f.uid)).length, 'findings about made-up uids').toBe(0);
      expect.soft(disagreements(keys, stable), 'keys JSON against keyctl rdescribe').toEqual([]);
    } finally {
      await atk.stop();
    }
  });
});

/** Characters that must not reach a terminal live: C0 (but \n, \t), DEL, C1, bidi embeddings/overrides/isolates. */
function hostileChars(out: Buffer): string[] {
  const found: string[] = [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(out);
  } catch {
    const i = [...out].findIndex((b) => b >= 0x80 && b <= 0x9f);
    return [`not UTF-8 (raw bytes such as 0x9b, at ${i}: ${show(out.subarray(Math.max(0, i - 30), i + 10))})`];
  }
  for (const m of text.matchAll(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g))
    found.push(`U+${(m[0].codePointAt(0) as number).toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, (m.index ?? 0) - 30), (m.index ?? 0) + 10))}`);
  return found;
}

describe('attack: C1 controls and bidi overrides in descriptions', () => {
  live('a raw 0x9b, U+009B and U+202E reach no terminal report live, and JSON keeps the exact bytes', async () => {
    const raw = `kre-c1-raw \x9b2J end`; // latin1 string: the byte 0x9b alone (not UTF-8)
    const utf8 = Buffer.from('kre-c1-utf8 \u009b2J and \u202egnp.exe end', 'utf8').toString('latin1');
    const specs = [
      { desc: raw, perm: 0x3f3f3f3f },
      { desc: utf8, perm: 0x3f3f3f3f },
    ];
    const atk = await startAttacker(BIDI, specs);
    try {
      specs.forEach((s, i) =>
        expect(kernelFields(kernelKey(atk.serials[i] as string))).toEqual({ type: 'user', uid: BIDI, gid: BIDI, perm: '3f3f3f3f', description: show(s.desc) }),
      );
      for (const s of atk.serials) expect(lineSerials()).toContain(s);

      const view = new KernelView(atk.serials);
      const table = run('keys');
      const text = run('audit --format text --fail-on never');
      const md = run('audit --format markdown --fail-on never');
      const keys = keysJson();
      const stable = view.stable();
      for (const r of [table, text, md]) expect(r.status, r.stderr).toBe(0);
      // The keys are in the reports (each has a permissive_key finding), so there is something to escape.
      for (const s of atk.serials) expect.soft(table.stdout, `${s} in the keys table`).toContain(s);

      expect.soft(hostileChars(table.bytes), '`keys` (table)').toEqual([]);
      expect.soft(hostileChars(text.bytes), '`audit --format text`').toEqual([]);
      expect.soft(hostileChars(md.bytes), '`audit --format markdown`').toEqual([]);
      expect.soft(disagreements(keys, stable), 'keys JSON against keyctl rdescribe').toEqual([]);
    } finally {
      await atk.stop();
    }
  });
});
