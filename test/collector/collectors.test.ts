import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInventory, type Inventory } from '../../src/classify/inventory.js';
import { createGauges, updateGauges, type CollectorOptions } from '../../src/collector/collectors.js';
import { formatFamilies } from '../../src/collector/gauge-family.js';
import { COLLECTORS, METRIC_FAMILIES } from '../../src/collector/metric-families.js';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { readSnapshot } from '../../src/procfs/read-proc-files.js';
import { formatMetricsDoc } from '../../src/collector/metrics-doc.js';
import { renderKeys } from '../helpers/render-key-line.js';
import { snapshotOf } from '../helpers/snapshot.js';
import { hasCommand, itWith } from '../helpers/prerequisites.js';
import { collectorOptions } from '../helpers/collector-options.js';

const options = collectorOptions;

async function fixture(name: string): Promise<Inventory> {
  const dir = new URL(`../fixtures/${name}/`, import.meta.url);
  const capture = JSON.parse(readFileSync(new URL('capture.json', dir), 'utf8')) as { capturedAt: number };
  return buildInventory(await readSnapshot(dir.pathname, () => capture.capturedAt));
}

/** The exposition as serve and metrics write it. */
async function exposition(inv: Inventory, o: Partial<CollectorOptions> = {}): Promise<{ text: string; errors: Map<string, string> }> {
  const g = createGauges();
  const errors = updateGauges(g, inv, options(o));
  return { text: formatFamilies(Object.values(g), false), errors };
}

const series = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('collectors', () => {
  it('export what the captured host shows', async () => {
    const { text, errors } = await exposition(await fixture('quota-full'));
    // A capture of the text alone cannot say what the kernel's keyrings link: the trust store is unknown, not empty.
    expect(errors).toEqual(new Map([['trust_store', 'the trust store is not known: the kernel was not asked: the records were read from text alone']]));
    expect(text).not.toContain('keyring_trust_store_keys');
    expect(series(text, 'keyring_user_quota_keys')).toEqual(['keyring_user_quota_keys{uid="0"} 3', 'keyring_user_quota_keys{uid="40110"} 200']);
    expect(series(text, 'keyring_user_quota_keys_limit')).toContain('keyring_user_quota_keys_limit{uid="40110"} 200');
    expect(series(text, 'keyring_audit_findings')).toContain('keyring_audit_findings{check="quota_keys_near_limit",severity="critical"} 1');
    expect(series(text, 'keyring_scrape_collector_success')).toEqual(COLLECTORS.map((c) => `keyring_scrape_collector_success{collector="${c}"} ${c === 'trust_store' ? 0 : 1}`));
  });

  it('count the keys of each uid the reads did not show: never root\'s 2 that never existed, never below 0', async () => {
    // Root owns 2 listed keys plus the 2 phantoms; uid 40120 owns 3 and shows 1; uid 40121's key came after the
    // read of /proc/key-users (listed, not yet counted).
    const keys = [
      '0000000a I------     1 perm 1f0b0000     0     0 keyring   .a: empty',
      '0000000b I------     1 perm 1f0b0000     0     0 keyring   .b: empty',
      '0000000c I--Q---     1 perm 3f010101 40120 40120 user      c: 1',
      '0000000d I--Q---     1 perm 3f010101 40121 40121 user      d: 1',
    ].join('\n') + '\n';
    const users = ['    0:     4 4/4 0/1000000 0/25000000', '40120:     3 3/3 3/200 6/20000', '40121:     0 0/0 0/200 0/20000'].join('\n') + '\n';
    const { text } = await exposition(buildInventory(snapshotOf(keys, users)));
    expect(series(text, 'keyring_user_unseen_keys')).toEqual(['keyring_user_unseen_keys{uid="0"} 0', 'keyring_user_unseen_keys{uid="40120"} 2', 'keyring_user_unseen_keys{uid="40121"} 0']);
  });

  it('never put a key description, serial or keyring name in a label', async () => {
    const { text } = await exposition(await fixture('hard-descriptions'));
    const labels = text.split('\n').filter((l) => !l.startsWith('#')).flatMap((l) => [...l.matchAll(/="([^"]*)"/g)].map((m) => m[1] as string));
    for (const v of labels) expect(v).toMatch(/^[a-z_./0-9-]*$|^v?\d+\.\d+\.\d+/);
  });

  it('cap the uid label whatever the host does: thousands of uids, the nearest to their quota kept', async () => {
    const users = Array.from({ length: 5000 }, (_, i) => `${String(50000 + i).padStart(5)}:     1 1/1 ${i === 4321 ? 199 : 1}/200 10/20000`);
    const inv = buildInventory(snapshotOf(undefined, users.join('\n') + '\n'));
    const { text } = await exposition(inv, { maxUids: 3, enabled: new Set(['key_users']) });
    const uids = new Set(series(text, 'keyring_user_quota_keys').map((l) => /uid="([^"]+)"/.exec(l)?.[1]));
    expect(uids).toEqual(new Set(['54321', '50000', '50001', 'other']));
    expect(series(text, 'keyring_user_keys')).toContain('keyring_user_keys{uid="other"} 4997');
  });

  it('stop exporting a uid that vanished (gauges reset every update)', async () => {
    const g = createGauges();
    updateGauges(g, buildInventory(snapshotOf(undefined, '40001:     1 1/1 1/200 10/20000\n')), options());
    expect(formatFamilies(Object.values(g), false)).toContain('uid="40001"');
    updateGauges(g, buildInventory(snapshotOf(undefined, '40002:     1 1/1 1/200 10/20000\n')), options());
    const text = formatFamilies(Object.values(g), false);
    expect(text).not.toContain('uid="40001"');
    expect(text).toContain('uid="40002"');
  });

  it('a missing /proc/keys fails the collectors that read it (keys, trust_store) only, which export none of their values; /proc/key-users metrics stay', async () => {
    const inv = buildInventory(snapshotOf(undefined, '40001:     1 1/1 1/200 10/20000\n', { maxkeys: '200\n' }));
    const { text, errors } = await exposition(inv);
    expect([...errors.keys()]).toEqual(['keys', 'trust_store']);
    expect(errors.get('trust_store')).toContain('keys: absent');
    expect(series(text, 'keyring_scrape_collector_success')).toEqual([
      'keyring_scrape_collector_success{collector="keys"} 0',
      'keyring_scrape_collector_success{collector="key_users"} 1',
      'keyring_scrape_collector_success{collector="sysctl"} 1',
      'keyring_scrape_collector_success{collector="audit"} 1',
      'keyring_scrape_collector_success{collector="trust_store"} 0',
    ]);
    expect(series(text, 'keyring_user_keys')).toEqual(['keyring_user_keys{uid="40001"} 1']);
    // The sysctls the kernel has are exported; those it has not (absent) are not zeros.
    expect(series(text, 'keyring_sysctl_maxkeys')).toEqual(['keyring_sysctl_maxkeys 200']);
    expect(series(text, 'keyring_sysctl_maxbytes')).toEqual([]);
    for (const f of METRIC_FAMILIES.filter((m) => m.collector === 'keys' || m.collector === 'trust_store')) expect(text, f.name).not.toContain(f.name);
    expect(series(text, 'keyring_parse_issues')).toEqual(['keyring_parse_issues{file="key-users"} 0', 'keyring_parse_issues{file="sys/kernel/keys"} 0']);
  });

  it('a missing procfs: every collector that reads it fails, and no value is a zero it did not read', async () => {
    const { text, errors } = await exposition(buildInventory(snapshotOf(undefined, undefined)));
    expect([...errors.keys()]).toEqual(['keys', 'key_users', 'sysctl', 'audit', 'trust_store']);
    expect(series(text, 'keyring_scrape_collector_success').map((l) => l.slice(-2))).toEqual([' 0', ' 0', ' 0', ' 0', ' 0']);
    const values = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.replace(/[{ ].*/, ''));
    expect([...new Set(values)]).toEqual([
      'keyring_scrape_collector_success',
      'keyring_scrape_collector_duration_seconds',
      'keyring_exporter_config_last_reload_successful',
      'keyring_exporter_config_last_reload_success_timestamp_seconds',
      'keyring_exporter_build_info',
    ]);
  });

  it('the trust store: counts and one info series a certificate, none for a keyring the kernel would not list', async () => {
    const inv = await fixture('trust-store');
    const store = inv.trustStore as Extract<Inventory['trustStore'], { known: true }>;
    const refused = { ...inv, trustStore: { ...store, keyrings: store.keyrings.map((k) => (k.name === '.blacklist' ? { ...k, error: 'EACCES', keys: [] } : k)) } };
    const { text, errors } = await exposition(refused);
    expect(errors.size).toBe(0);
    expect(series(text, 'keyring_trust_store_keys')).toEqual([
      'keyring_trust_store_keys{keyring="_evm",role="files"} 1',
      'keyring_trust_store_keys{keyring="_ima",role="files"} 2',
      'keyring_trust_store_keys{keyring=".builtin_trusted_keys",role="code"} 0',
    ]);
    expect(series(text, 'keyring_trust_store_certificate_info').map((l) => l.replace(/key_id="[0-9a-f]+"/, 'key_id="ID"'))).toEqual([
      'keyring_trust_store_certificate_info{keyring="_evm",subject="Fixture EVM Key",key_id="ID",algorithm="X509.rsa"} 1',
      'keyring_trust_store_certificate_info{keyring="_ima",subject="Fixture IMA Signing Key",key_id="ID",algorithm="X509.rsa"} 1',
      'keyring_trust_store_certificate_info{keyring="_ima",subject="Fixture Second IMA Key",key_id="ID",algorithm="X509.rsa"} 1',
    ]);
  });

  it('the trust store\'s labels: a subject escaped and cut, a name that is not the kernel\'s is "other", at most 64 series a keyring', async () => {
    const inv = await fixture('trust-store');
    const store = inv.trustStore as Extract<Inventory['trustStore'], { known: true }>;
    const ima = store.keyrings.find((k) => k.name === '_ima');
    if (ima === undefined) throw new Error('no _ima in the fixture');
    const many = Array.from({ length: 70 }, (_, i) => ({ ...(ima.keys[0] as (typeof ima.keys)[number]), serial: 1000 + i, subject: `Evil\u001b[2J${'x'.repeat(200)}${i}`, keyId: i.toString(16).padStart(2, '0') }));
    const odd = { ...inv, trustStore: { ...store, keyrings: [{ ...ima, name: 'Odd Name\n', keys: many }] } };
    const { text } = await exposition(odd);
    const info = series(text, 'keyring_trust_store_certificate_info');
    expect(info).toHaveLength(64);
    expect(info[0]).toMatch(/^keyring_trust_store_certificate_info\{keyring="other",subject="Evil\\\\x1b\[2Jx+",key_id="00",algorithm="X509.rsa"\} 1$/);
    expect(/subject="([^"]*)"/.exec(info[0] as string)?.[1]?.length).toBeLessThanOrEqual(130);
    expect(series(text, 'keyring_trust_store_certificates')).toEqual(['keyring_trust_store_certificates{keyring="other",role="files"} 70']);
  });

  it('a collector that fails after setting some values exports none of them', async () => {
    const inv = buildInventory(snapshotOf(undefined, undefined, { maxkeys: '200\n', maxbytes: '20000\n' }));
    (inv.files.sysctls.maxbytes as { status: string }).status = 'denied';
    const { text, errors } = await exposition(inv);
    expect(errors.get('sysctl')).toContain('maxbytes: denied');
    expect(series(text, 'keyring_scrape_collector_success')).toContain('keyring_scrape_collector_success{collector="sysctl"} 0');
    expect(text).not.toContain('keyring_sysctl_');
  });

  it('a disabled collector exports nothing, not even its success or its families\' HELP', async () => {
    const { text } = await exposition(await fixture('quota-full'), { enabled: new Set(['key_users']) });
    expect(series(text, 'keyring_scrape_collector_success')).toEqual(['keyring_scrape_collector_success{collector="key_users"} 1']);
    expect(series(text, 'keyring_user_keys').length).toBeGreaterThan(0);
    for (const f of METRIC_FAMILIES.filter((m) => m.collector !== 'key_users' && m.collector !== 'exporter')) expect(text, f.name).not.toContain(`${f.name} `);
    expect(text).not.toContain('keyring_sysctl_maxkeys');
  });

  it('do not count suspect records as keys', async () => {
    const forged = renderKeys([{ serial: 0x10, uid: 40001, gid: 40001, perm: '3f010001', text: 'no summary' }]);
    const { text } = await exposition(buildInventory(snapshotOf(forged, '40001:     1 1/1 1/200 10/20000\n')));
    expect(series(text, 'keyring_keys')).toEqual([]);
    expect(series(text, 'keyring_suspect_records')).toEqual(['keyring_suspect_records 1']);
  });
});

describe('golden expositions, linted by promtool check metrics (update with UPDATE_GOLDEN=1)', () => {
  const names = readdirSync(new URL('../fixtures/', import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const withPromtool = itWith([hasCommand('promtool')]);
  for (const name of names)
    withPromtool(`${name}`, async () => {
      const { text } = await exposition(await fixture(name));
      const golden = new URL(`../golden/metrics/${name}.prom`, import.meta.url);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
      expect(text).toBe(readFileSync(golden, 'utf8'));
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    });
});

describe('docs/metrics.md', () => {
  it('lists every family with its type, labels and label values (UPDATE_GOLDEN=1 rewrites it)', () => {
    const path = new URL('../../docs/metrics.md', import.meta.url);
    const doc = formatMetricsDoc(METRIC_FAMILIES);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, doc);
    expect(readFileSync(path, 'utf8')).toBe(doc);
  });
});

describe('keyring-exporter metrics', () => {
  const tmp: string[] = [];
  afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const memoryIo = (): CliIo & { out: string; err: string } => {
    const io = { out: '', err: '', stdoutIsTty: false, clock: () => 1_800_000_000 } as CliIo & { out: string; err: string };
    io.stdout = (s) => void (io.out += s);
    io.stderr = (s) => void (io.err += s);
    return io;
  };

  it('writes the exposition atomically for the textfile collector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-textfile-'));
    tmp.push(dir);
    const out = join(dir, 'keyring.prom');
    const io = memoryIo();
    expect(await runCli(['metrics', '--path.procfs', new URL('../fixtures/quota-full/', import.meta.url).pathname, '--output', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('keyring_user_quota_keys{uid="40110"} 200');
    expect(readdirSync(dir)).toEqual(['keyring.prom']); // no temporary file left behind
  });

  it('takes node_exporter\'s --no-collector.<name> and rejects a bad --collector.users.max-uids', async () => {
    const io = memoryIo();
    expect(await runCli(['metrics', '--path.procfs', new URL('../fixtures/quota-full/', import.meta.url).pathname, '--no-collector.audit'], io)).toBe(0);
    expect(io.out).not.toContain('collector="audit"');
    expect(await runCli(['metrics', '--collector.users.max-uids', 'lots'], memoryIo())).toBe(2);
  });
});

describe('cardinality', () => {
  it('the number of series does not grow with the number of keys or uids', async () => {
    const make = (uids: number, perUid: number): Inventory => {
      const keys: Parameters<typeof renderKeys>[0] = [];
      const users: string[] = [];
      let serial = 0x1000;
      for (let u = 0; u < uids; u++) {
        const uid = 100000 + u;
        for (let k = 0; k < perUid; k++) keys.push({ serial: serial++, type: 'keyring', perm: '3f030000', uid, gid: uid, text: '_ses: 1' });
        users.push(`${uid}: ${perUid} ${perUid}/${perUid} ${perUid}/200 ${perUid * 9}/20000`);
      }
      return buildInventory(snapshotOf(renderKeys(keys), users.join('\n') + '\n'));
    };
    const count = async (inv: Inventory): Promise<number> => (await exposition(inv, { maxUids: 50 })).text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const small = await count(make(60, 2));
    const large = await count(make(2000, 5));
    expect(large).toBe(small);
    expect(large).toBeLessThan(600);
  });
});

describe('collector flags', () => {
  const memoryIo2 = (): CliIo & { out: string } => {
    const io = { out: '', stdoutIsTty: false, clock: () => 1_800_000_000, stderr: () => undefined } as unknown as CliIo & { out: string };
    io.stdout = (s) => void (io.out += s);
    return io;
  };
  const successes = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('keyring_scrape_collector_success{')).map((l) => /collector="([^"]+)"/.exec(l)?.[1] as string);
  const dir = new URL('../fixtures/quota-full/', import.meta.url).pathname;
  it.each([
    [[], ['keys', 'key_users', 'sysctl', 'audit', 'trust_store']],
    [['--no-collector.audit'], ['keys', 'key_users', 'sysctl', 'trust_store']],
    [['--collector.disable-defaults', '--collector.sysctl'], ['sysctl']],
    [['--collector.keys'], ['keys', 'key_users', 'sysctl', 'audit', 'trust_store']],
  ])('%j', async (flags, want) => {
    const io = memoryIo2();
    expect(await runCli(['metrics', '--path.procfs', dir, ...flags], io)).toBe(0);
    expect(successes(io.out)).toEqual(want);
  });
});
