/**
 * `keyring-exporter trust-store` and the audit's trust store checks on the real kernel: root makes an `_ima`
 * keyring in a throwaway session, as dracut does where the kernel has no .ima, and adds X.509 certificates made
 * with openssl to it as the kernel adds its trusted ones. This is the one test file that makes `_ima` keyrings
 * (its tests run one after another), so the trust store it reads holds no other test's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { CERTIFICATE_FUNCTIONS } from '../helpers/certificates.js';
import { holdSession } from '../helpers/held-session.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { uniqueName } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('openssl')]);
const dir = mkdtempSync(join(tmpdir(), 'kre-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stdoutIsTty: false, clock: () => Date.now() / 1000 };
  const code = await runCli(argv, io);
  return { code, out, err };
}

interface JsonKeyring {
  serial: number;
  name: string;
  role: string;
  keys: { serial: number; type: string; subject: string | null; keyId: string | null; algorithm: string | null }[];
}
const keyringsOf = (out: string): JsonKeyring[] => (JSON.parse(out) as { trustStore: { keyrings: JsonKeyring[] } }).trustStore.keyrings;

/** An `_ima` keyring owned by root (perm 0x3f3f0000: its owner may add and unlink) with certificates a and b, and a user key. */
const IMA_SCRIPT = [
  CERTIFICATE_FUNCTIONS,
  'cert a "/O=$1 Org/CN=$1 a" && cert b "/CN=$1 b" && cp "$d/b" "$2/b.der"',
  'r=$(keyctl newring _ima @s) && keyctl setperm $r 0x3f3f0000',
  'a=$(keyctl padd asymmetric "" $r < "$d/a") && u=$(keyctl add user "$1-u" "$1-payload" $r)',
  'echo $r; echo $a; echo $u; skid a; skid b',
].join('\n');

describe('keyring-exporter trust-store', () => {
  live('lists a certificate with the subject and key id openssl gives it; a user key in the keyring is described, never read', async () => {
    const name = uniqueName('ts');
    const s = await holdSession(IMA_SCRIPT, [name, dir]);
    try {
      const [ring, a, user, skidA] = s.lines as [string, string, string, string];
      const { code, out, err } = await cli(['trust-store', '--format', 'json']);
      expect(code, err).toBe(0);
      const ima = keyringsOf(out).find((k) => k.serial === Number(ring));
      expect(ima).toMatchObject({ name: '_ima', role: 'files' });
      expect(ima?.keys).toEqual([
        { serial: Number(a), type: 'asymmetric', description: `${name} a: ${skidA}`, subject: `${name} a`, keyId: skidA, algorithm: 'X509.rsa' },
        { serial: Number(user), type: 'user', description: `${name}-u`, subject: null, keyId: null, algorithm: null },
      ]);
      expect(out).not.toContain(`${name}-payload`);
      // The kernel names a certificate whose CN begins with its O's first 7 characters by the CN alone.
      const table = await cli(['trust-store']);
      expect(table.out).toContain(`_ima (admits files to IMA/EVM appraisal, serial ${Number(ring).toString(16).padStart(8, '0')}): 2 keys`);
      expect(table.out).toContain(`${name} a  key id ${skidA}  X509.rsa`);
    } finally {
      await s.end();
    }
  });

  live("lists this machine's own trusted keyrings, empty ones too, as many keys as /proc/keys says each links", async () => {
    const { code, out } = await cli(['trust-store', '--format', 'json']);
    expect(code).toBe(0);
    const lines = readFileSync('/proc/keys', 'latin1').split('\n');
    const builtin = lines.find((l) => / keyring +\.builtin_trusted_keys: /.test(l)) as string;
    expect(builtin).toBeDefined();
    const links = / keyring +[^:]+: (empty|\d+)$/.exec(builtin)?.[1];
    const listed = keyringsOf(out).find((k) => k.name === '.builtin_trusted_keys');
    expect(listed?.keys.length).toBe(links === 'empty' ? 0 : Number(links));
  });

  live('saves a baseline; the audit then reports the certificate added since (critical) and the one removed (warning)', async () => {
    const name = uniqueName('drift');
    const s = await holdSession(IMA_SCRIPT, [name, dir]);
    try {
      const [ring, a, , skidA, skidB] = s.lines as [string, string, string, string, string];
      const baseline = join(dir, `${name}.json`);
      const saved = await cli(['trust-store', '--save', baseline]);
      expect(saved.code, saved.err).toBe(0);
      expect(saved.err).toContain(`saved the trust store`);
      writeFileSync(join(dir, `${name}.yaml`), `trust_store:\n  baseline: ${name}.json\n`);
      const before = await cli(['audit', '--format', 'json', '--config.file', join(dir, `${name}.yaml`), '--fail-on', 'never']);
      expect((JSON.parse(before.out) as { audit: { findings: { check: string }[] } }).audit.findings.filter((f) => f.check === 'trust_store_drift')).toEqual([]);

      const b = execFileSync('keyctl', ['padd', 'asymmetric', '', ring], { input: readFileSync(join(dir, 'b.der')) }).toString().trim();
      execFileSync('keyctl', ['unlink', a, ring]);
      const after = await cli(['audit', '--format', 'json', '--config.file', join(dir, `${name}.yaml`), '--fail-on', 'critical']);
      expect(after.code).toBe(1);
      const drift = (JSON.parse(after.out) as { audit: { findings: { check: string; severity: string; serial?: string; message: string }[] } }).audit.findings.filter((f) => f.check === 'trust_store_drift');
      expect(drift.map((f) => [f.severity, f.serial ?? null])).toEqual([
        ['critical', Number(b).toString(16).padStart(8, '0')],
        ['warning', null],
      ]);
      expect(drift[0]?.message).toContain(`certificate "${name} b" (key id ${skidB}) is in _ima`);
      expect(drift[1]?.message).toContain(`certificate "${name} a" (key id ${skidA}) of _ima in the baseline ${baseline}`);
    } finally {
      await s.end();
    }
  });

  live('a capture, of its own view or of every uid\'s, stores what the keyrings link, and reads back as the live host', async () => {
    const name = uniqueName('capture');
    const s = await holdSession(IMA_SCRIPT, [name, dir]);
    try {
      const [ring] = s.lines as [string];
      for (const view of ['self', 'all-users']) {
        const folder = join(dir, `${name}-${view}`);
        const captured = await cli(['capture', '--view', view, folder]);
        expect(captured.code, captured.err).toBe(0);
        const fromCapture = await cli(['trust-store', '--format', 'json', '--path.procfs', folder]);
        expect(fromCapture.code, fromCapture.err).toBe(0);
        const ima = keyringsOf(fromCapture.out).find((k) => k.serial === Number(ring));
        expect(ima?.keys.map((k) => [k.type, k.subject]), view).toEqual([
          ['asymmetric', `${name} a`],
          ['user', null],
        ]);
        expect((JSON.parse(fromCapture.out) as { trustStore: { from: string } }).trustStore.from).toBe('capture');
      }
    } finally {
      await s.end();
    }
  });
});
