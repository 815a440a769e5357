/**
 * A throwaway MIT Kerberos realm on 127.0.0.1 (Debian's krb5-kdc and krb5-user): a database in a temporary folder,
 * principals made with kadmin.local, krb5kdc in the foreground on a free port, ended by its pid. Tickets live
 * at most 10 minutes. `env` points krb5 at it (KRB5_CONFIG): the folder is readable by the throwaway uids that
 * kinit. (Not a test file.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from './waiting.js';

export const REALM = 'KRE-TEST.TEST';

export interface Kdc {
  /** KRB5_CONFIG (and the KDC's own profile) for every krb5 command of the test. */
  env: Record<string, string>;
  /** The password of each principal made. */
  addPrincipal(name: string, password: string): void;
  stop(): Promise<void>;
}

export async function startKdc(): Promise<Kdc> {
  const dir = mkdtempSync(join(tmpdir(), 'kre-kdc-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(
    join(dir, 'krb5.conf'),
    `[libdefaults]\n  default_realm = ${REALM}\n  dns_lookup_kdc = false\n  dns_lookup_realm = false\n  rdns = false\n[realms]\n  ${REALM} = {\n    kdc = 127.0.0.1:${port}\n  }\n`,
    { mode: 0o644 },
  );
  writeFileSync(
    join(dir, 'kdc.conf'),
    `[kdcdefaults]\n  kdc_listen = 127.0.0.1:${port}\n  kdc_tcp_listen = 127.0.0.1:${port}\n[realms]\n  ${REALM} = {\n    database_name = ${dir}/principal\n    key_stash_file = ${dir}/stash\n    max_life = 10m\n    max_renewable_life = 20m\n  }\n`,
  );
  const env = { KRB5_CONFIG: join(dir, 'krb5.conf'), KRB5_KDC_PROFILE: join(dir, 'kdc.conf') };
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  run('kdb5_util', ['create', '-s', '-r', REALM, '-P', 'kre-test-master']);
  const kdc: ChildProcess = spawn('krb5kdc', ['-n', '-P', join(dir, 'kdc.pid')], { env: { ...process.env, ...env }, stdio: 'ignore' });
  await until('the KDC', async () => (spawnSync('ss', ['-lnt']).stdout.toString().includes(`127.0.0.1:${port} `) ? true : undefined));
  return {
    env,
    addPrincipal(name, password) {
      run('kadmin.local', ['-q', password === '' ? `addprinc -randkey ${name}` : `addprinc -pw ${password} ${name}`]);
    },
    async stop() {
      if (kdc.exitCode === null) {
        kdc.kill('SIGTERM');
        await new Promise((r) => kdc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
