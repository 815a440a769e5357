/**
 * Attack 6, the newline flood: ten uids, each with four keys whose descriptions are some 3,700 newlines (about
 * 150,000 physical lines of /proc/keys in all, within each uid's default 20,000-byte quota). The exporter must
 * keep scraping, answer over HTTP, audit in bounded time without a finding per line, and list every flood key
 * with its exact description.
 *
 * The second test floods with forged records instead: 30 keys of 44 forged world-readable records each, 1,320
 * records the kernel has no key for.
 *
 * Uids 41500-41599: ten consecutive from 41500 + 10 * (pid % 5) for the first test, 50 above them for the
 * second (a uid's quota comes back only once the garbage collector has destroyed its keys).
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  hex8,
  recordLine,
  describe as kernelDescribe,
  descriptionBytes,
  type JsonKey,
  findingsOf,
  keysJson,
  lineSerials,
  run,
  samples,
  show,
  startAttacker,
  stopAllAttackers,
  withServer,
  type Attacker,
  type Doc,
  type Run,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const BASE = 41500 + 10 * (process.pid % 5);
const UIDS = Array.from({ length: 10 }, (_, i) => BASE + i);
const FORGERS = UIDS.map((u) => u + 50);
const PER_UID = 4;
const NEWLINES = 3700;

afterEach(stopAllAttackers);

/** The keys made that keys JSON misses, and those it lists with a description other than the one written. */
function listedAsMade(keys: { keys: JsonKey[] }, made: { uid: number; serial: string; desc: string }[]): { missing: string[]; wrong: string[] } {
  const listed = new Map(keys.keys.map((k) => [k.serial, k]));
  return {
    missing: made.filter((m) => !listed.has(m.serial)).map((m) => `${m.serial} (uid ${m.uid})`),
    wrong: made
      .filter((m) => listed.has(m.serial) && !descriptionBytes(listed.get(m.serial)!).equals(Buffer.from(m.desc, 'latin1')))
      .map((m) => `${m.serial}: ${show(descriptionBytes(listed.get(m.serial)!)).slice(0, 80)}…`),
  };
}

/** The exporter's outputs under the attack (metrics, a served scrape, audit, keys), and the keys the kernel kept alike throughout. */
async function everyOutput(view: KernelView): Promise<{ metrics: Run; served: { status: number; text: string }; audit: Run; keys: Doc; stable: ReturnType<KernelView['stable']> }> {
  const metrics = run('metrics');
  const served = await withServer(async (base) => {
    const r = await fetch(`${base}/metrics`);
    return { status: r.status, text: await r.text() };
  });
  const audit = run('audit --format json');
  const keys = keysJson();
  return { metrics, served, audit, keys, stable: view.stable() };
}

const flood = (uid: number, j: number): string => `kre-flood-${uid}-${j}${'\n'.repeat(NEWLINES)}end-${j}`;

const collectorSuccess = (text: string): Record<string, string> =>
  Object.fromEntries(
    samples(text)
      .filter((s) => s.name === 'keyring_scrape_collector_success')
      .map((s) => [s.labels['collector'] ?? '?', s.value]),
  );

describe('attack: a flood of newlines from ten uids', () => {
  live(
    'metrics, serve, audit and keys survive 40 descriptions of 3,700 newlines each',
    async () => {
      const attackers: Attacker[] = [];
      try {
        const started = await Promise.allSettled(UIDS.map((uid) => startAttacker(uid, Array.from({ length: PER_UID }, (_, j) => ({ desc: flood(uid, j) })))));
        for (const s of started) if (s.status === 'fulfilled') attackers.push(s.value);
        for (const s of started) if (s.status === 'rejected') throw s.reason;
        const made = attackers.flatMap((a) => a.serials.map((serial, j) => ({ uid: a.uid, serial, desc: flood(a.uid, j) })));
        expect(made).toHaveLength(UIDS.length * PER_UID);
        // Every flood key exists as made and is visible to root.
        const told = kernelDescribe(made.map((m) => m.serial));
        for (const m of made) {
          const d = told.get(m.serial);
          expect(d?.ok && d.key.uid === m.uid && d.key.perm === '3f010001' && d.key.description.equals(Buffer.from(m.desc, 'latin1')), `key ${m.serial}`).toBe(true);
        }
        const printed = new Set(lineSerials());
        expect(made.filter((m) => !printed.has(m.serial))).toEqual([]);

        const view = new KernelView(made.map((m) => m.serial));
        const { metrics, served, audit, keys, stable } = await everyOutput(view);
        for (const m of made) expect(stable.has(m.serial)).toBe(true);

        expect.soft(metrics.status, `metrics exit code (stderr: ${metrics.stderr.slice(0, 500)})`).toBe(0);
        const ms = collectorSuccess(metrics.stdout);
        expect.soft(Object.keys(ms).length, 'collectors reported by metrics').toBeGreaterThan(0);
        expect.soft(Object.entries(ms).filter(([, v]) => v !== '1'), 'failed collectors in metrics').toEqual([]);

        expect.soft(served.status, 'serve: GET /metrics').toBe(200);
        const ss = collectorSuccess(served.text);
        expect.soft(Object.keys(ss).length, 'collectors reported by serve').toBeGreaterThan(0);
        expect.soft(Object.entries(ss).filter(([, v]) => v !== '1'), 'failed collectors in serve').toEqual([]);

        expect.soft([0, 1], `audit exit code (stderr: ${audit.stderr.slice(0, 500)})`).toContain(audit.status);
        expect.soft(audit.ms, 'audit milliseconds').toBeLessThan(10_000);
        let findings: ReturnType<typeof findingsOf> = [];
        try {
          findings = findingsOf(JSON.parse(audit.stdout) as Doc);
        } catch (e) {
          expect.soft(String(e), 'audit JSON does not parse').toBe('');
        }
        // Fewer than 50 findings: none per line. Counted over the flood's uids and the host (uid 0 or none), not
        // the other attacks that may run at the same time with their own findings.
        const mine = findings.filter((f) => f.uid === undefined || f.uid === 0 || UIDS.includes(f.uid));
        const byCheck: Record<string, number> = {};
        for (const f of mine) byCheck[f.check] = (byCheck[f.check] ?? 0) + 1;
        expect.soft(mine.length, `findings about the flood's uids and the host (${JSON.stringify(byCheck)}; ${findings.length} in all)`).toBeLessThan(50);

        const listing = listedAsMade(keys, made);
        expect.soft(listing.missing, 'flood keys missing from keys JSON').toEqual([]);
        expect.soft(listing.wrong, 'flood keys listed with another description').toEqual([]);
      } finally {
        await Promise.all(attackers.map((a) => a.stop()));
      }
    },
    90_000,
  );

  live(
    'metrics, serve, audit and keys survive 1,320 forged world-readable records in 30 descriptions',
    async () => {
      const attackers: Attacker[] = [];
      const PER = 3;
      const LINES = 44;
      const forgedBy = new Map<string, string[]>();
      // Forged serials in one narrow band (a random start, then consecutive), so the flood does not crowd the
      // whole serial range of /proc/keys for the other attacks running at once.
      const band = 3 + Math.floor(Math.random() * (0x7ffffffc - 100_000));
      let next = 0;
      const carrier = (uid: number, j: number): string => {
        const lines = Array.from({ length: LINES }, (_, i) => {
          const serial = hex8(band + 7 * next++);
          return recordLine({ serial, perm: '3f3f3f3f', uid: i % 2 === 0 ? uid : 0, gid: uid, type: 'user', text: `f${i}: 9` });
        });
        forgedBy.set(`${uid}-${j}`, lines.map((l) => l.slice(0, 8)));
        return `kre-forge-flood-${uid}-${j}: 1\n${lines.join('\n')}`.slice(0, 4095);
      };
      try {
        const descs = new Map(FORGERS.map((uid) => [uid, Array.from({ length: PER }, (_, j) => carrier(uid, j))]));
        const started = await Promise.allSettled(FORGERS.map((uid) => startAttacker(uid, (descs.get(uid) ?? []).map((desc) => ({ desc })))));
        for (const s of started) if (s.status === 'fulfilled') attackers.push(s.value);
        for (const s of started) if (s.status === 'rejected') throw s.reason;
        const made = attackers.flatMap((a) => a.serials.map((serial, j) => ({ uid: a.uid, serial, desc: (descs.get(a.uid) ?? [])[j] as string })));
        expect(made).toHaveLength(FORGERS.length * PER);
        const told = kernelDescribe(made.map((m) => m.serial));
        for (const m of made) {
          const d = told.get(m.serial);
          expect(d?.ok && d.key.uid === m.uid && d.key.description.equals(Buffer.from(m.desc, 'latin1')), `key ${m.serial}`).toBe(true);
        }
        const forged = [...forgedBy.values()].flat();
        const known = kernelDescribe(forged);
        const nokey = new Set(forged.filter((s) => known.get(s)?.ok === false && (known.get(s) as { error: string }).error === 'noent'));
        expect(nokey.size).toBeGreaterThan(forged.length - 5);

        const view = new KernelView(made.map((m) => m.serial), nokey);
        const { metrics, served, audit, keys, stable } = await everyOutput(view);

        expect.soft(metrics.status, `metrics exit code (stderr: ${metrics.stderr.slice(0, 500)})`).toBe(0);
        expect.soft(Object.entries(collectorSuccess(metrics.stdout)).filter(([, v]) => v !== '1'), 'failed collectors in metrics').toEqual([]);
        expect.soft(served.status, 'serve: GET /metrics').toBe(200);
        expect.soft(Object.entries(collectorSuccess(served.text)).filter(([, v]) => v !== '1'), 'failed collectors in serve').toEqual([]);
        expect.soft([0, 1], `audit exit code (stderr: ${audit.stderr.slice(0, 500)})`).toContain(audit.status);
        expect.soft(audit.ms, 'audit milliseconds').toBeLessThan(10_000);
        let findings: ReturnType<typeof findingsOf> = [];
        try {
          findings = findingsOf(JSON.parse(audit.stdout) as Doc);
        } catch (e) {
          expect.soft(String(e), 'audit JSON does not parse').toBe('');
        }
        const carriers = new Set(made.map((m) => m.serial));
        const notOnCarriers = findings.filter((f) => f.uid !== undefined && FORGERS.includes(f.uid) && !(f.serial !== undefined && carriers.has(f.serial)) && f.check !== 'visibility_gap');
        expect.soft(notOnCarriers.length, `findings about the flood uids other than on the carriers (${notOnCarriers.slice(0, 3).map((f) => `${f.check}: ${f.message.slice(0, 160)}`).join(' | ')})`).toBe(0);
        expect.soft(findings.filter((f) => f.serial !== undefined && nokey.has(f.serial)).length, 'findings about forged serials').toBe(0);
        expect.soft(findings.filter((f) => f.uid === 0 && f.check === 'permissive_key').filter((f) => f.serial !== undefined && !stable.has(f.serial)).length, 'permissive_key findings about root keys the kernel does not have').toBe(0);

        expect.soft(keys.keys.filter((k) => nokey.has(k.serial)).length, 'forged serials listed as keys').toBe(0);
        const listing = listedAsMade(keys, made);
        expect.soft(listing.missing, 'carriers missing from keys JSON').toEqual([]);
        expect.soft(listing.wrong, 'carriers listed with another description').toEqual([]);
      } finally {
        await Promise.all(attackers.map((a) => a.stop()));
      }
    },
    90_000,
  );
});
