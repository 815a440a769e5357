/**
 * Every audit check: a case where it fires (captured from the real kernel where a fixture shows it), a case
 * where it stays quiet, and a boundary. Findings are compared as whole objects where the text matters.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from '../../src/audit/audit-config.js';
import type { Check } from '../../src/audit/check.js';
import { CHECKS, runAudit } from '../../src/audit/run-audit.js';
import { buildInventory, type Inventory } from '../../src/classify/inventory.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { renderKeys, type LineFields } from '../helpers/render-key-line.js';
import { snapshotOf } from '../helpers/snapshot.js';
import { within } from '../../src/audit/checks/persistent-keyring-expiring.js';
import { hasPath, itWith } from '../helpers/prerequisites.js';

const check = (id: string): Check => CHECKS.find((c) => c.id === id) as Check;

async function fixture(name: string): Promise<Inventory> {
  const dir = new URL(`../fixtures/${name}/`, import.meta.url);
  const capture = JSON.parse(readFileSync(new URL('capture.json', dir), 'utf8')) as { capturedAt: number };
  return buildInventory(await readSnapshot(dir.pathname, () => capture.capturedAt));
}

function inventory(keys: LineFields[], users: string[] = [], sysctls: Record<string, string> = {}): Inventory {
  return buildInventory(snapshotOf(keys.length > 0 ? renderKeys(keys) : '', users.length > 0 ? users.join('\n') + '\n' : undefined, sysctls));
}

function run(inv: Inventory, id: string, config: AuditConfig = DEFAULT_AUDIT_CONFIG) {
  return runAudit(inv, config, [check(id)]).findings;
}

const SYSCTLS = { maxkeys: '200\n', maxbytes: '20000\n', root_maxkeys: '1000000\n', root_maxbytes: '25000000\n', gc_delay: '300\n', persistent_keyring_expiry: '259200\n' };
const runcName = `_ses.${'ab'.repeat(32)}`;

describe('every check', () => {
  it('has an id that is the snake_case of its file, a rationale and a severity', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(c.rationale.length).toBeGreaterThan(60);
      expect(() => readFileSync(new URL(`../../src/audit/checks/${c.id.replace(/_/g, '-')}.ts`, import.meta.url))).not.toThrow();
    }
  });
});

describe('quota_keys_near_limit, quota_bytes_near_limit', () => {
  it('a uid at 200/200 keys (captured) is critical', async () => {
    expect(run(await fixture('quota-full'), 'quota_keys_near_limit')).toEqual([
      expect.objectContaining({ check: 'quota_keys_near_limit', severity: 'critical', uid: 40110 }),
    ]);
  });
  it('a uid near its byte quota (captured) is critical', async () => {
    expect(run(await fixture('quota-bytes'), 'quota_bytes_near_limit')).toEqual([
      expect.objectContaining({ check: 'quota_bytes_near_limit', severity: 'critical', uid: 40111 }),
    ]);
  });
  it.each([
    [159, []],
    [160, ['warning']],
    [189, ['warning']],
    [190, ['critical']],
  ])('%i of 200 keys: %j (boundaries at 80 and 95 percent)', (qnkeys, severities) => {
    const inv = inventory([], [`40001:     1 ${qnkeys}/${qnkeys} ${qnkeys}/200 10/20000`]);
    expect(run(inv, 'quota_keys_near_limit').map((f) => f.severity)).toEqual(severities);
    expect(run(inv, 'quota_bytes_near_limit')).toEqual([]);
  });
  it('allow-listed uids are not reported', () => {
    const inv = inventory([], ['40001:     1 200/200 200/200 10/20000']);
    expect(run(inv, 'quota_keys_near_limit', { ...DEFAULT_AUDIT_CONFIG, allow: { ...DEFAULT_AUDIT_CONFIG.allow, uids: [40001] } })).toEqual([]);
  });
});

describe('quota_limits_low', () => {
  const runc = (uid: number): LineFields => ({ serial: 0x10, type: 'keyring', perm: '3f1b0000', uid, gid: uid, text: `${runcName}: empty` });
  it('container keyrings of root with the default root limits of old kernels', () => {
    const inv = inventory([runc(0)], ['    0:     3 2/2 1/200 80/20000'], { ...SYSCTLS, root_maxkeys: '200\n', root_maxbytes: '20000\n' });
    expect(run(inv, 'quota_limits_low').map((f) => f.message)).toEqual([
      '1 container keyring owned by root but kernel.keys.root_maxkeys is 200, below the 1000000 container hosts use',
      '1 container keyring owned by root but kernel.keys.root_maxbytes is 20000, below the 25000000 container hosts use',
    ]);
  });
  it('rootless container keyrings with the default per-user limits', () => {
    const inv = inventory([runc(40001)], ['40001:     1 1/1 1/200 70/20000'], SYSCTLS);
    expect(run(inv, 'quota_limits_low').map((f) => f.remediation)).toEqual([
      // one file per setting: applying both keeps both
      "echo 'kernel.keys.maxkeys = 20000' > /etc/sysctl.d/90-keys-maxkeys.conf && sysctl --system",
      "echo 'kernel.keys.maxbytes = 500000' > /etc/sysctl.d/90-keys-maxbytes.conf && sysctl --system",
    ]);
  });
  it('is quiet without container keyrings, or with the limits container hosts set', () => {
    expect(run(inventory([], [], SYSCTLS), 'quota_limits_low')).toEqual([]);
    expect(run(inventory([runc(0)], ['    0:     3 2/2 1/1000000 80/25000000'], SYSCTLS), 'quota_limits_low')).toEqual([]);
  });
});

describe('session_keyring_leak', () => {
  it('60 live session keyrings of one uid (captured) are over 25% of its 200-key quota', async () => {
    expect(run(await fixture('many-sessions'), 'session_keyring_leak')).toEqual([
      expect.objectContaining({ severity: 'warning', uid: 40112, message: expect.stringMatching(/^uid 40112 has 6\d live session keyrings \(3\d% of its 200-key quota\)/) }),
    ]);
  });
  it.each([
    [50, 0],
    [51, 1],
  ])('%i sessions of 200 keys: %i finding (boundary at 25 percent)', (n, count) => {
    const keys: LineFields[] = Array.from({ length: n }, (_, i) => ({ serial: 0x100 + i, type: 'keyring', perm: '3f030000', uid: 40002, gid: 40002, text: '_ses: 1' }));
    const inv = inventory(keys, [`40002:   ${n} ${n}/${n} ${n}/200 ${n * 9}/20000`]);
    expect(run(inv, 'session_keyring_leak')).toHaveLength(count);
  });
});

describe('permissive_key', () => {
  const key = (perm: string, type = 'user', text = 'secret: 6', extra: Partial<LineFields> = {}): LineFields => ({ serial: 0x10, perm, type, uid: 40003, gid: 40003, text, ...extra });
  it.each([
    ['a user key anyone can read (keyctl setperm 0x3f010003)', key('3f010003'), 'critical', 'every user may read'],
    ['a user key its group can read', key('3f010200'), 'critical', 'group 40003 may read'],
    ['a keyring anyone can link into', key('3f010011', 'keyring', 'ring: empty'), 'critical', 'every user may link'],
    ['a keyring whose list anyone can read', key('3f010003', 'keyring', 'ring: empty'), 'warning', 'every user may read'],
    ['a user key anyone can link', key('3f010011'), 'warning', 'every user may link'],
  ])('%s', (_name, k, severity, text) => {
    const [f] = run(inventory([k]), 'permissive_key');
    expect(f).toMatchObject({ severity, uid: 40003, serial: '00000010', line: 1 });
    expect(f?.message).toContain(text);
  });
  it.each([
    ['view and search for other (runc with user namespaces)', key('3f130009', 'keyring', `${runcName}: 1`)],
    ['the kernel\'s own keyrings', key('1f0f0000', 'keyring', '.ima: 1', { flags: 'I------', uid: 0, gid: 0 })],
    ['systemd\'s invocation_id', key('0b0b0000', 'user', 'invocation_id: 16', { uid: 0, gid: 0 })],
    ['a suspect record (forged text is forged_proc_keys_line\'s)', key('3f3f3f3f', 'user', 'no summary')],
    ['an owner-only key', key('3f010000')],
  ])('is quiet for %s', (_name, k) => {
    expect(run(inventory([k]), 'permissive_key')).toEqual([]);
  });
  it('is quiet for every captured ordinary scenario', async () => {
    for (const name of ['root-host-baseline', 'session-anonymous', 'session-named', 'persistent', 'key-types']) expect(run(await fixture(name), 'permissive_key'), name).toEqual([]);
  });
});

describe('special_keyring_impostor', () => {
  it('user-made keyrings with reserved names (captured) are critical', async () => {
    const findings = run(await fixture('hard-descriptions'), 'special_keyring_impostor');
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.severity === 'critical' && f.uid === 40108)).toBe(true);
    expect(findings.map((f) => f.message).join('\n')).toMatch(/reserved for a persistent keyring, but it is charged to a quota/);
  });
  it('a second _uid.N of one owner is critical, both of them', () => {
    const uid0 = (serial: number): LineFields => ({ serial, type: 'keyring', perm: '1f3f0000', uid: 0, gid: 65534, text: '_uid.0: empty' });
    expect(run(inventory([uid0(0x10), uid0(0x20)]), 'special_keyring_impostor').map((f) => f.serial)).toEqual(['00000010', '00000020']);
  });
  it('is quiet for the kernel\'s own', async () => {
    expect(run(await fixture('root-host-baseline'), 'special_keyring_impostor')).toEqual([]);
    expect(run(await fixture('persistent'), 'special_keyring_impostor')).toEqual([]);
  });
});

describe('forged_proc_keys_line', () => {
  it('both carriers of forged lines (captured, naive and careful) are critical and named', async () => {
    const findings = run(await fixture('forged-line'), 'forged_proc_keys_line');
    expect(findings.map((f) => [f.severity, f.uid, f.serial])).toEqual([
      ['critical', 40109, '09e37067'],
      ['critical', 40109, '248bcd32'],
    ]);
    expect(findings[0]?.message).toContain('\\x0a'); // the newline is shown escaped, never printed
  });
  it('a record /proc/key-users contradicts is a warning', () => {
    const inv = inventory([{ serial: 0x10, uid: 4242, gid: 4242, text: 'k: 1' }], ['    0:     3 2/2 0/1000000 0/25000000']);
    expect(run(inv, 'forged_proc_keys_line')).toEqual([expect.objectContaining({ severity: 'warning', serial: '00000010' })]);
  });
  it('is quiet on an ordinary host', async () => {
    expect(run(await fixture('root-host-baseline'), 'forged_proc_keys_line')).toEqual([]);
  });
});

describe('persistent_keyring_expiring', () => {
  const persistent = (expiry: string, links: number): LineFields => ({ serial: 0x10, type: 'keyring', flags: 'I------', expiry, perm: '1f030000', uid: 1000, gid: 65534, text: `_persistent.1000: ${links === 0 ? 'empty' : links}` });
  it.each([
    ['11h', 1, ['warning']],
    ['12h', 1, []],
    ['59m', 2, ['warning']],
    ['expd', 1, ['critical']],
    ['1h', 0, []],
    ['2d', 3, []],
  ])('expiry %s holding %i keys: %j (boundary 12 h)', (expiry, links, severities) => {
    expect(run(inventory([persistent(expiry, links)]), 'persistent_keyring_expiring').map((f) => f.severity)).toEqual(severities);
  });
  it('says how long is left within the bounds the kernel prints', () => {
    const [f] = run(inventory([persistent('11h', 2)]), 'persistent_keyring_expiring');
    expect(f?.message).toBe('the persistent keyring of uid 1000 holds 2 keys and expires in 11 h to 12 h');
    expect(within(45, 45)).toBe('in 45 s');
  });
  it('is quiet for the captured persistent keyrings (3 days, or lowered but empty)', async () => {
    expect(run(await fixture('persistent'), 'persistent_keyring_expiring')).toEqual([]);
    expect(run(await fixture('persistent-expiry-lowered'), 'persistent_keyring_expiring')).toEqual([]);
  });
});

describe('negative_keys, stuck_construction, dead_keys_lingering', () => {
  it('the captured key states give one info finding each, per uid', async () => {
    const inv = await fixture('key-states');
    expect(run(inv, 'negative_keys')).toEqual([expect.objectContaining({ severity: 'info', uid: 0, message: expect.stringContaining('debug:kre-fixture-state-negative') })]);
    expect(run(inv, 'stuck_construction')).toEqual([expect.objectContaining({ severity: 'info', uid: 0, message: expect.stringContaining('kre-fixture-uc:states') })]);
    expect(run(inv, 'dead_keys_lingering')).toEqual([expect.objectContaining({ severity: 'info', uid: 0, message: 'uid 0 still has 1 expired, 1 revoked, 1 invalidated keys listed' })]);
  });
  it('keys under construction the reader cannot see are counted from /proc/key-users', () => {
    expect(run(inventory([], ['40005:     3 3/2 3/200 30/20000']), 'stuck_construction')).toEqual([
      expect.objectContaining({ uid: 40005, message: '/proc/key-users counts 1 key of uid 40005 under construction that this reader cannot see' }),
    ]);
  });
  it('are quiet on an ordinary host', async () => {
    const inv = await fixture('root-host-baseline');
    for (const id of ['negative_keys', 'stuck_construction', 'dead_keys_lingering']) expect(run(inv, id), id).toEqual([]);
  });
});

describe('visibility_gap', () => {
  it('a uid whose keys the reader cannot see (captured as root)', async () => {
    expect(run(await fixture('quota-full'), 'visibility_gap').map((f) => f.uid)).toEqual([0]);
  });
  it.each([
    [2, 2, []],
    [3, 2, [40006]],
  ])('nkeys %i, %i listed: %j', (nkeys, listed, uids) => {
    const keys: LineFields[] = Array.from({ length: listed }, (_, i) => ({ serial: 0x10 + i, uid: 40006, gid: 40006, text: 'k: 1' }));
    expect(run(inventory(keys, [`40006:     ${nkeys} ${nkeys}/${nkeys} ${nkeys}/200 ${nkeys * 3}/20000`]), 'visibility_gap').map((f) => f.uid)).toEqual(uids);
  });
  it('does not count root\'s 2 phantom keys', async () => {
    expect(run(await fixture('root-host-baseline'), 'visibility_gap')).toEqual([]);
  });
});

describe('parse_issues', () => {
  it('a damaged line and a missing file are warnings that name them', () => {
    const inv = buildInventory(snapshotOf('garbage line\n', undefined, SYSCTLS));
    expect(run(inv, 'parse_issues').map((f) => [f.severity, f.line, f.message.split(':')[0]])).toEqual([
      ['warning', undefined, 'key-users could not be read (absent'],
      ['warning', 1, 'keys line 1'],
    ]);
  });
  it('is quiet on every capture', async () => {
    for (const name of ['root-host-baseline', 'key-types', 'hard-descriptions', 'forged-line']) expect(run(await fixture(name), 'parse_issues'), name).toEqual([]);
  });
});

describe('a clean, ordinary host', () => {
  it.each(['root-host-baseline', 'session-anonymous', 'session-named', 'user-session-fallback', 'persistent', 'persistent-expiry-lowered', 'expiry-units', 'key-types', 'key-states'])(
    '%s: no warning or critical finding from any check',
    async (name) => {
      const report = runAudit(await fixture(name), DEFAULT_AUDIT_CONFIG);
      expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    },
  );
});

describe('allow-lists', () => {
  const secret = (text: string, type = 'user'): LineFields => ({ serial: 0x10, perm: '3f010003', type, uid: 40007, gid: 40007, text });
  it.each([
    ['a description glob', { descriptions: ['krb_ccache:*'] }, secret('krb_ccache:primary: 12'), 0],
    ['a glob that does not match', { descriptions: ['krb_ccache:?'] }, secret('krb_ccache:primary: 12'), 1],
    ['a key type', { types: ['logon'] }, secret('svc:a: 5', 'logon'), 0],
    ['a uid', { uids: [40007] }, secret('k: 1'), 0],
  ])('%s', (_name, allow, key, count) => {
    const config = { ...DEFAULT_AUDIT_CONFIG, allow: { ...DEFAULT_AUDIT_CONFIG.allow, ...allow } };
    expect(run(inventory([key]), 'permissive_key', config)).toHaveLength(count);
  });
});

const samples = new URL('../published-samples/', import.meta.url);
describe('parse_issues on a real damaged paste', () => {
  itWith([hasPath(samples.pathname, 'the published samples (test/published-samples)')])('/proc/keys and /proc/key-users concatenated in one paste (systemd issue 33308): the key-users lines are reported', () => {
    const text = readFileSync(new URL('29-systemd-33308-keys-and-keyusers-concatenated-MIXED.keys', samples), 'latin1');
    const findings = run(buildInventory(snapshotOf(text, undefined, SYSCTLS)), 'parse_issues');
    expect(findings.filter((f) => f.line !== undefined).map((f) => f.line)).toEqual([3, 4, 5]);
  });
});
