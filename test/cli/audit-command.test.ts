import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { exitCodeFor } from '../../src/cli/audit-command.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';

function memoryIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdoutIsTty: false, clock: () => 1_800_000_000 } as CliIo & { out: string; err: string };
  io.stdout = (s) => void (io.out += s);
  io.stderr = (s) => void (io.err += s);
  return io;
}

const loadSchema = (name: string) => JSON.parse(readFileSync(new URL(`../../docs/schemas/${name}`, import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(loadSchema('keys.schema.json'));
const validateAudit = ajv.compile(loadSchema('audit.schema.json'));

const fixture = (name: string): string => new URL(`../fixtures/${name}/`, import.meta.url).pathname;
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kre-audit-'));
  tmp.push(d);
  return d;
};

describe('exitCodeFor', () => {
  it.each([
    [{ info: 0, warning: 0, critical: 0 }, 'warning', 0],
    [{ info: 3, warning: 0, critical: 0 }, 'warning', 0],
    [{ info: 3, warning: 0, critical: 0 }, 'info', 1],
    [{ info: 0, warning: 1, critical: 0 }, 'warning', 1],
    [{ info: 0, warning: 1, critical: 0 }, 'critical', 0],
    [{ info: 0, warning: 0, critical: 1 }, 'critical', 1],
    [{ info: 0, warning: 0, critical: 9 }, 'never', 0],
  ] as const)('%j with --fail-on %s exits %i', (counts, failOn, code) => expect(exitCodeFor(counts, failOn)).toBe(code));
});

describe('keyring-exporter audit', () => {
  it('exits 1 with a finding at or above --fail-on, 0 below it, in every format', async () => {
    for (const format of ['text', 'json', 'markdown']) {
      const io = memoryIo();
      expect(await runCli(['audit', '--path.procfs', fixture('quota-full'), '--format', format], io)).toBe(1);
      expect(io.out).toContain('quota_keys_near_limit');
      expect(await runCli(['audit', '--path.procfs', fixture('quota-full'), '--format', format, '--fail-on', 'never'], memoryIo())).toBe(0);
    }
  });

  it('JSON carries the keys document without its keys, and the findings, as docs/schemas/audit.schema.json says', async () => {
    const io = memoryIo();
    await runCli(['audit', '--path.procfs', fixture('quota-full'), '--format', 'json'], io);
    const doc = JSON.parse(io.out);
    expect(validateAudit(doc), JSON.stringify(validateAudit.errors)).toBe(true);
    expect(doc.audit.exitCode).toBe(1);
    expect(doc.audit.failOn).toBe('warning');
    expect(doc.audit.findings).toContainEqual(expect.objectContaining({ check: 'quota_keys_near_limit', severity: 'critical', uid: 40110 }));
    // keys --format json lists the keys; the audit names those its findings are about.
    expect(doc.keys).toBeUndefined();
    expect(doc.summary.keys).toBeGreaterThan(100);
  });

  it('exits 2 and names the file, line and field of a bad configuration, applying none of it', async () => {
    const dir = tempDir();
    const file = join(dir, 'audit.yml');
    writeFileSync(file, 'quota:\n  warning_ratio: 0.5\n  critcal_ratio: 0.9\n');
    const io = memoryIo();
    expect(await runCli(['audit', '--path.procfs', fixture('quota-full'), '--config.file', file], io)).toBe(2);
    expect(io.err).toContain(`${file}:3: quota.critcal_ratio: unknown field "critcal_ratio"`);
    expect(io.out).toBe('');
  });

  it('a configuration switches checks off', async () => {
    const dir = tempDir();
    const file = join(dir, 'audit.yml');
    writeFileSync(file, 'disabled_checks: [quota_keys_near_limit]\n');
    const io = memoryIo();
    expect(await runCli(['audit', '--path.procfs', fixture('quota-full'), '--config.file', file, '--format', 'json'], io)).toBe(0);
    expect(JSON.parse(io.out).audit.findings.filter((f: any) => f.check === 'quota_keys_near_limit')).toEqual([]);
  });

  it('colours the text only on a terminal', async () => {
    const plain = memoryIo();
    await runCli(['audit', '--path.procfs', fixture('quota-full')], plain);
    expect(plain.out).not.toContain('\u001b[');
    const tty = { ...memoryIo(), stdoutIsTty: true, out: '' };
    tty.stdout = (s: string) => void (tty.out += s);
    await runCli(['audit', '--path.procfs', fixture('quota-full')], tty);
    expect(tty.out).toContain('\u001b[1;31mCRITICAL');
  });

  it('exits 3 when neither /proc/keys nor /proc/key-users can be read', async () => {
    const io = memoryIo();
    expect(await runCli(['audit', '--path.procfs', tempDir()], io)).toBe(3);
    expect(io.err).toContain('nothing to audit');
  });
});

describe('keyring-exporter capture', () => {
  it('refuses a folder that is not empty', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x'), '');
    expect(await runCli(['capture', dir], memoryIo())).toBe(2);
  });

  itWith([isRoot(), hasCommand('keyctl')])('capture, then audit elsewhere, equals the live audit', () => {
    const out = join(tempDir(), 'host');
    const name = uniqueName('capture');
    // One session: the live audit and the capture read the same keys (the session's own are possessed).
    const r = sh(
      `keyctl session - bash -c 'keyctl add user "${name}" v @s >/dev/null && "$BIN" audit --format json --fail-on never > "${out}.live.json" && "$BIN" keys --format json > "${out}.live-keys.json" && "$BIN" capture "${out}" >/dev/null && "$BIN" audit --format json --fail-on never --path.procfs "${out}" > "${out}.captured.json" && "$BIN" keys --format json --path.procfs "${out}" > "${out}.captured-keys.json"'`,
    );
    expect(r.status, r.stderr).toBe(0);
    const live = JSON.parse(readFileSync(`${out}.live.json`, 'utf8'));
    const captured = JSON.parse(readFileSync(`${out}.captured.json`, 'utf8'));
    const strip = (d: any) => ({ ...d, now: 0, source: { ...d.source, procRoot: '', files: undefined } });
    // Another process may change host keys between the two reads; the session's own keys must be identical.
    const mine = (file: string) => JSON.parse(readFileSync(file, 'utf8')).keys.filter((k: any) => k.description.startsWith(name));
    expect(mine(`${out}.captured-keys.json`)).toEqual(mine(`${out}.live-keys.json`));
    expect(mine(`${out}.live-keys.json`)).toHaveLength(1);
    expect(strip(captured).audit.findings.filter((f: any) => f.check !== 'visibility_gap')).toEqual(
      strip(live).audit.findings.filter((f: any) => f.check !== 'visibility_gap'),
    );
  });
});

describe('audit reports (golden files, update with UPDATE_GOLDEN=1)', () => {
  it.each([
    ['text', 'audit-forged-line.txt'],
    ['markdown', 'audit-forged-line.md'],
    ['json', 'audit-forged-line.json'],
  ])('%s', async (format, file) => {
    const io = memoryIo();
    expect(await runCli(['audit', '--path.procfs', fixture('forged-line'), '--format', format], io)).toBe(1);
    // The procfs path depends on where the repo is checked out.
    const out = io.out.split(fixture('forged-line')).join('test/fixtures/forged-line/');
    const golden = new URL(`../golden/${file}`, import.meta.url);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, out);
    expect(out).toBe(readFileSync(golden, 'utf8'));
  });
});
