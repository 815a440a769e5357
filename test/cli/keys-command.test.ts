import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { KEY_CLASSES } from '../../src/classify/keyring-class.js';
import { KEY_STATES } from '../../src/classify/key-state.js';
import { SUSPECT_CODES } from '../../src/classify/key-trust.js';
import { PARSE_ISSUE_CODES } from '../../src/parser/parse-issue.js';
import { KEYS_SYSCTLS } from '../../src/parser/keys-sysctl.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/schemas/keys.schema.json', import.meta.url), 'utf8')) as Record<string, any>;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

function memoryIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdoutIsTty: false, clock: () => 1_800_000_000 } as CliIo & { out: string; err: string };
  io.stdout = (s) => void (io.out += s);
  io.stderr = (s) => void (io.err += s);
  return io;
}

const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of this host's keys files, laid out like /proc (what `capture` will write). */
function copyOfLiveProc(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kre-proc-'));
  tmp.push(dir);
  mkdirSync(join(dir, 'sys/kernel/keys'), { recursive: true });
  writeFileSync(join(dir, 'keys'), readFileSync('/proc/keys'));
  writeFileSync(join(dir, 'key-users'), readFileSync('/proc/key-users'));
  // Not copyFileSync: procfs files report size 0 and copy_file_range() copies nothing.
  for (const s of KEYS_SYSCTLS) writeFileSync(join(dir, 'sys/kernel/keys', s), readFileSync(`/proc/sys/kernel/keys/${s}`));
  return dir;
}

describe('keys document schema', () => {
  it('names exactly the classes, states, suspect codes, issue codes and sysctls the code has', () => {
    const doc = schema['$defs'].header;
    const key = schema['$defs'].document.properties.keys.items.properties;
    expect(key.class.enum).toEqual([...KEY_CLASSES]);
    expect(key.state.enum).toEqual([...KEY_STATES]);
    expect(key.suspect.items.properties.code.enum).toEqual([...SUSPECT_CODES]);
    expect(doc.properties.issues.items.properties.code.enum).toEqual([...PARSE_ISSUE_CODES]);
    expect(doc.properties.limits.required).toEqual([...KEYS_SYSCTLS]);
  });
});

describe('keyring-exporter keys', () => {
  it('--format json writes each key on one line of at most 500 bytes for a typical key', async () => {
    const io = memoryIo();
    expect(await runCli(['keys', '--format', 'json', '--path.procfs', new URL('../fixtures/quota-full/', import.meta.url).pathname], io)).toBe(0);
    const lines = io.out.split('\n').filter((l) => l.startsWith('    {"serial":'));
    expect(lines).toHaveLength(JSON.parse(io.out).keys.length);
    const sizes = lines.map((l) => Buffer.byteLength(l) + 1).sort((a, b) => a - b);
    expect(sizes[sizes.length >> 1]).toBeLessThanOrEqual(500);
    expect(JSON.parse(lines[0]!.replace(/,$/, ''))).toMatchObject({ flags: expect.stringMatching(/^[I-][R-][D-][Q-][U-][N-][i-]$/), permLetters: expect.stringMatching(/^[alswrv-]{24}$/) });
  });

  it('--help lists the flags with their defaults', async () => {
    const io = memoryIo();
    expect(await runCli(['keys', '--help'], io)).toBe(0);
    expect(io.out).toContain('--path.procfs <dir>');
    expect(io.out).toContain('(default: "/proc")');
    expect(io.out).toContain('"table"');
  });

  it('rejects a bad flag value with exit code 2 and says why', async () => {
    const io = memoryIo();
    expect(await runCli(['keys', '--format', 'xml'], io)).toBe(2);
    expect(io.err).toContain("argument 'xml' is invalid");
  });

  it('exits 3 when neither /proc/keys nor /proc/key-users can be read, and names them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-empty-'));
    tmp.push(dir);
    const io = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir, '--format', 'json'], io)).toBe(3);
    expect(io.err).toContain(join(dir, 'keys'));
    const doc = JSON.parse(io.out);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.source.files.keys.status).toBe('absent');
  });

  it('a missing /proc/keys does not cost /proc/key-users', async () => {
    const dir = copyOfLiveProc();
    rmSync(join(dir, 'keys'));
    const io = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir, '--format', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.out);
    expect(doc.users.length).toBeGreaterThan(0);
    expect(doc.keys).toEqual([]);
  });

  it('reads a captured folder exactly like the live files, and the JSON matches the schema', async () => {
    const dir = copyOfLiveProc();
    const io = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir, '--format', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.out);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.limits.maxkeys).toBe(Number(readFileSync('/proc/sys/kernel/keys/maxkeys', 'utf8')));
    const table = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir], table)).toBe(0);
    expect(table.out).toMatch(/^SERIAL\s+FLAGS/);
    expect(table.out).not.toContain('\u001b['); // no colour when stdout is not a terminal
  });

  itWith([isRoot(), hasCommand('keyctl')])('lists and classifies real keys made in a throwaway session', () => {
    const name = uniqueName('live');
    const r = sh(
      `keyctl session - bash -c 'keyctl add user "${name}" secret @s >/dev/null && keyctl newring "${name}-ring" @s >/dev/null && "$BIN" keys --format json'`,
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const mine = doc.keys.filter((k: any) => k.description.startsWith(name));
    expect(mine.map((k: any) => [k.description, k.type, k.class, k.state, k.summary, k.suspect])).toEqual([
      [name, 'user', 'key', 'instantiated', { kind: 'length', bytes: 6, text: ': 6' }, []],
      [`${name}-ring`, 'keyring', 'keyring', 'instantiated', { kind: 'keyring', links: 0, text: ': empty' }, []],
    ].sort((a, b) => (doc.keys.findIndex((k: any) => k.description === a[0]) - doc.keys.findIndex((k: any) => k.description === b[0]))));
    const session = doc.keys.find((k: any) => k.class === 'session' && k.description === '_ses' && k.summary?.links === 2);
    expect(session).toBeDefined();
  });

  itWith([isRoot(), hasCommand('keyctl')])('escapes what a description could do to a terminal', () => {
    const name = uniqueName('esc');
    const r = sh(`keyctl session - bash -c 'keyctl add user "${name}"$'"'"'\\e[31mred\\nline'"'"' x @s >/dev/null && "$BIN" keys'`);
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(name));
    expect(line).toContain('\\x1b[31mred\\x0aline');
    expect(r.stdout).not.toContain('\u001b[31mred');
  });
});

describe('keyring-exporter keys on every captured fixture', () => {
  const fixtures = new URL('../fixtures/', import.meta.url);
  const names = readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  it.each(names)('%s: the JSON document matches its schema and every record is there', async (name) => {
    const dir = new URL(`${name}/`, fixtures).pathname;
    const io = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir, '--format', 'json'], io)).toBe(0);
    const doc = JSON.parse(io.out);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const physical = readFileSync(join(dir, 'keys'), 'latin1').split('\n').length - 1;
    expect(doc.keys.reduce((n: number, k: any) => n + k.lineCount, 0)).toBe(physical);
  });

  it('prints the table a person reads (golden file, update with UPDATE_GOLDEN=1)', async () => {
    const dir = new URL('key-states/', fixtures).pathname;
    const io = memoryIo();
    expect(await runCli(['keys', '--path.procfs', dir], io)).toBe(0);
    const golden = new URL('../golden/keys-key-states.txt', import.meta.url);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, io.out);
    expect(io.out).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('--view all-users', () => {
  itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv')])('reads /proc/keys as every uid and finds what root alone cannot see', () => {
    const name = uniqueName('view');
    const uid = 40300 + (process.pid % 90);
    // A session of another uid that stays alive while we look; killed by its pid afterwards.
    const r = sh(
      `setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl session - bash -c 'keyctl add user "${name}" v @s >/dev/null; sleep 20' & pid=$!
       for i in $(seq 50); do grep -q "^ *${uid}:" /proc/key-users && break; sleep 0.1; done
       "$BIN" keys --format json > /tmp/${name}.self.json
       "$BIN" keys --format json --view all-users > /tmp/${name}.all.json; rc=$?
       pkill -P $pid; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit $rc`,
    );
    expect(r.status, r.stderr).toBe(0);
    const self = JSON.parse(readFileSync(`/tmp/${name}.self.json`, 'utf8'));
    const all = JSON.parse(readFileSync(`/tmp/${name}.all.json`, 'utf8'));
    rmSync(`/tmp/${name}.self.json`);
    rmSync(`/tmp/${name}.all.json`);
    expect(validate(all), JSON.stringify(validate.errors)).toBe(true);
    expect(self.keys.some((k: any) => k.description === name)).toBe(false);
    expect(all.keys.filter((k: any) => k.description === name).map((k: any) => [k.uid, k.class, k.suspect])).toEqual([[uid, 'key', []]]);
    expect(all.source.view.view).toBe('all-users');
    expect(all.source.view.readers).toEqual(expect.arrayContaining([0, uid]));
    // The note says what each view leaves out: the merged one is not "this process's own".
    expect(self.visibility).toContain('root has no exception');
    expect(all.visibility).toMatch(/^\/proc\/keys was read as every uid .* keys only their possessor may view are still missing/);
  });

  itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('pkill')])('says why it cannot as root without CAP_SETUID and CAP_SETGID, instead of a partial view', () => {
    const name = uniqueName('nocap');
    const uid = 40400 + (process.pid % 90);
    const r = sh(
      `setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl session - bash -c 'keyctl add user "${name}" v @s >/dev/null; sleep 20' & pid=$!
       for i in $(seq 50); do grep -q "^ *${uid}:" /proc/key-users && break; sleep 0.1; done
       setpriv --inh-caps=-all --bounding-set=-all "$BIN" keys --format json --view all-users >/dev/null; rc=$?
       pkill -P $pid; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit $rc`,
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--view all-users could not read \/proc\/keys as any of the \d+ other uids \(.*(?:EPERM|setresuid failed: Operation not permitted).*\): it needs root with CAP_SETUID and CAP_SETGID/);
  });

  it('says why it cannot without root', async () => {
    if (process.getuid?.() === 0) {
      const r = sh(`setpriv --reuid=40399 --regid=40399 --clear-groups "$BIN" keys --view all-users`);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--view all-users needs root');
    } else {
      const io = memoryIo();
      expect(await runCli(['keys', '--view', 'all-users'], io)).toBe(2);
      expect(io.err).toContain('needs root');
    }
  });
});
