/**
 * End to end, on the real kernel, against a real Prometheus with the shipped rules: the exporter runs as root
 * with its default view (auto: every uid's, here) and sees keyrings of throwaway uids that root itself cannot
 * view. A uid whose session keyrings keep growing raises KeyringSessionKeyringsLeaking, and a uid whose
 * persistent keyring holds a key and expires within hours (kernel.keys.persistent_keyring_expiry lowered while it
 * is made, and restored) raises KeyringPersistentKeyringExpiring: both pending (their `for` is an hour and five
 * minutes), for those uids.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runServeCommand } from '../../src/cli/serve-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { serveOptions } from '../helpers/serve-options.js';
import { freePort, until } from '../helpers/waiting.js';
import { PERSISTENT_EXPIRY_LOCK } from '../helpers/sysctl-lock.js';
import { DROP_USER_KEYRINGS } from '../helpers/user-keyrings.js';

const live = itWith([isRoot(), hasCommand('prometheus'), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('flock')]);
const rules = new URL('../../rules/keyring-exporter.rules.yml', import.meta.url).pathname;
const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => Date.now() / 1000 };

const leaker = 44500 + (process.pid % 90);
const holder = 44600 + (process.pid % 90);
const asUid = (uid: number): string => `setpriv --reuid=${uid} --regid=${uid} --clear-groups`;

describe('alerts for other users\' keyrings, against a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kre-e2e-users-'));
  /** Process groups started here (the leaker's sessions), ended by their ids. */
  const groups: ChildProcess[] = [];
  let prom: ChildProcess | null = null;
  let stop: () => void = () => undefined;
  let serving: Promise<number> | null = null;
  let api = '';

  /** `count` more anonymous session keyrings of the leaking uid, each held by a process of its own. */
  const sessions = (count: number): void => {
    const child = spawn('bash', ['-c', `${asUid(leaker)} bash -c 'for i in $(seq ${count}); do keyctl session - sleep 300 >/dev/null 2>&1 & sleep 0.05; done; wait'`], { detached: true, stdio: 'ignore' });
    groups.push(child);
  };
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = (await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json()) as any;
    if (r.status !== 'success') throw new Error(`${q}: ${r.error}`);
    return r.data.result;
  };

  beforeAll(async () => {
    if (!isRoot().ok || !hasCommand('prometheus').ok || !hasCommand('flock').ok) return;
    // The persistent keyring of `holder`, holding a key: its expiry is set from the sysctl when it is got.
    const made = spawnSync(
      'bash',
      [
        '-c',
        `exec 9>${PERSISTENT_EXPIRY_LOCK}; flock 9
         old=$(cat /proc/sys/kernel/keys/persistent_keyring_expiry)
         trap 'echo "$old" > /proc/sys/kernel/keys/persistent_keyring_expiry' EXIT
         echo 7200 > /proc/sys/kernel/keys/persistent_keyring_expiry
         ${asUid(holder)} keyctl session - bash -c 'p=$(keyctl get_persistent @s) && keyctl add user kre-e2e-persistent v $p >/dev/null'`,
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`the persistent keyring of uid ${holder}: ${made.stderr}`);
    sessions(1);
    let port = 0;
    const stopped = new Promise<void>((r) => (stop = r));
    serving = runServeCommand(serveOptions('/proc', { view: 'auto', onListening: (a) => void (port = a[0]?.port ?? 0), stop: stopped }), io);
    await until('the exporter', async () => (port !== 0 ? true : undefined));
    const promPort = await freePort();
    api = `http://127.0.0.1:${promPort}/api/v1`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [${rules}]\nscrape_configs:\n  - job_name: keyring-exporter\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
    );
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
    // A few samples of the leaking uid's one session keyring, then 59 more within seconds.
    await until('the first session keyring in Prometheus', async () => {
      const r = await query(`count_over_time(keyring_session_keyrings{uid="${leaker}"}[1m])`);
      return Number(r[0]?.value[1] ?? 0) >= 3 ? true : undefined;
    });
    sessions(59);
  }, 120_000);

  afterAll(async () => {
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom === null || prom.exitCode !== null ? r(undefined) : prom.once('exit', r)));
    for (const g of groups) if (g.pid !== undefined) process.kill(-g.pid, 'SIGTERM');
    spawnSync('bash', ['-c', `${asUid(holder)} keyctl session - bash -c 'keyctl invalidate $(keyctl get_persistent @s)'`]);
    for (const uid of [leaker, holder]) spawnSync('bash', ['-c', `cd / && ${asUid(uid)} ${DROP_USER_KEYRINGS}`]);
    stop();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  live('KeyringSessionKeyringsLeaking and KeyringPersistentKeyringExpiring are pending for the uids whose keyrings root cannot view', async () => {
    const alerts = await until('both alerts', async () => {
      const r = (await (await fetch(`${api}/alerts`)).json()) as any;
      const list = r.data.alerts as { labels: Record<string, string>; state: string }[];
      const leak = list.find((a) => a.labels['alertname'] === 'KeyringSessionKeyringsLeaking' && a.labels['uid'] === String(leaker));
      const expiring = list.find((a) => a.labels['alertname'] === 'KeyringPersistentKeyringExpiring' && a.labels['uid'] === String(holder));
      return leak !== undefined && expiring !== undefined ? { leak, expiring } : undefined;
    }, 90);
    expect(alerts.leak).toMatchObject({ labels: { severity: 'warning' }, state: 'pending' });
    expect(alerts.expiring).toMatchObject({ labels: { severity: 'warning' }, state: 'pending' });
    // As the exporter exported them: every one of the uid's 60 session keyrings, the key in the persistent keyring.
    await until('all 60 session keyrings scraped', async () => (Number((await query(`keyring_session_keyrings{uid="${leaker}"}`))[0]?.value[1]) === 60 ? true : undefined));
    expect(Number((await query(`keyring_persistent_keyring_keys{uid="${holder}"}`))[0]?.value[1])).toBe(1);
    expect((await query('keyring_view_uids{result="read"}'))[0]?.metric['view']).toBe('all-users');
  }, 120_000);
});
