/**
 * deploy/container/Containerfile built and run for real, on a stand-in base. No image registry is reachable
 * here, so node:24-trixie-slim is stood in for by Debian trixie made with debootstrap from the Debian archive,
 * with Debian's nodejs and npm (Node.js 20, the oldest the exporter supports). Each stage is an overlay over
 * that base: its COPY lines copy from the checkout or from the build stage, its RUN lines run in a chroot of it
 * as a container engine runs them (`sh -c` in WORKDIR, with the ARG defaults in the environment), `npm ci`
 * against the npm registry included. The runtime stage's ENTRYPOINT and CMD then run in a chroot with the host's
 * /proc at /host/proc, as the DaemonSet mounts it, and it is scraped.
 *
 * The base is kept under /var/tmp between runs (it is some 300 MB and a minute to make). Every mount and process
 * the test makes is undone by it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { REPO, stages, type Stage } from '../helpers/containerfile.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { freePort, until } from '../helpers/waiting.js';
import { COLLECTORS } from '../../src/collector/metric-families.js';

const BASE = '/var/tmp/keyring-exporter-image-base-trixie';
const MIRROR = 'http://deb.debian.org/debian';

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 600_000, ...(opts.env !== undefined ? { env: opts.env } : {}) });
  expect(r.status, `${cmd} ${args.join(' ')}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBe(0);
  return r.stdout;
}

/** The stand-in base, made once (a marker file says it was finished). */
function base(): string {
  if (!existsSync(join(BASE, '.complete'))) {
    rmSync(BASE, { recursive: true, force: true });
    run('debootstrap', ['--variant=minbase', '--include=nodejs,ca-certificates', 'trixie', BASE, MIRROR], { timeout: 900_000 });
    // npm through apt, which resolves its dependencies as debootstrap --include does not.
    cpSync('/etc/resolv.conf', join(BASE, 'etc/resolv.conf'));
    run('chroot', [BASE, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'npm'], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    });
    run('touch', [join(BASE, '.complete')]);
  }
  return BASE;
}

describe('deploy/container/Containerfile, built and run on a stand-in base', () => {
  itWith([isRoot(), hasCommand('debootstrap'), hasCommand('chroot'), hasCommand('mount')])(
    'builds in a chroot as its steps say, and the image serves the host keys',
    async () => {
      const lower = base();
      const work = mkdtempSync('/var/tmp/kre-image-');
      const mounts: string[] = [];
      let server: ChildProcess | undefined;
      const mount = (args: string[], target: string): void => {
        mkdirSync(target, { recursive: true });
        run('mount', [...args, target]);
        mounts.push(target);
      };
      try {
        const all = stages();
        const roots = new Map<string, string>();
        const rootOf = (s: Stage): string => roots.get(s.name ?? 'runtime') as string;
        for (const s of all) {
          const name = s.name ?? 'runtime';
          const root = join(work, name, 'root');
          for (const d of ['upper', 'work']) mkdirSync(join(work, name, d), { recursive: true });
          mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${join(work, name, 'upper')},workdir=${join(work, name, 'work')}`], root);
          roots.set(name, root);
          const dir = join(root, s.workdir);
          mkdirSync(dir, { recursive: true });
          for (const step of s.steps) {
            if (step.op === 'COPY') {
              const dest = step.args[step.args.length - 1] as string;
              const source = step.from === undefined ? REPO : rootOf(all.find((x) => x.name === step.from) as Stage);
              for (const src of step.args.slice(0, -1)) {
                const to = dest.endsWith('/') || dest === '.' ? join(dir, dest, src.split('/').pop() as string) : join(dir, dest);
                cpSync(join(source, src), to, { recursive: true });
              }
              continue;
            }
            // A RUN line, as an engine runs it on this network: the stage's file system, /proc and /dev, the host's
            // DNS, its proxy settings and the certificate authorities it trusts (a proxy here re-signs TLS).
            if (!mounts.includes(join(root, 'proc'))) {
              mount(['-t', 'proc', 'proc'], join(root, 'proc'));
              mount(['--bind', '/dev'], join(root, 'dev'));
              cpSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
              cpSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
            }
            const proxy = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(https?|no)_proxy$/i.test(k)));
            const env = {
              PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
              HOME: '/root',
              npm_config_loglevel: 'error',
              npm_config_update_notifier: 'false',
              npm_config_cafile: '/etc/ssl/certs/ca-certificates.crt',
              ...proxy,
              ...s.args,
            };
            run('chroot', [root, 'sh', '-c', `cd ${s.workdir} && ${step.args[0] as string}`], { env, timeout: 600_000 });
          }
        }
        const runtime = all[all.length - 1] as Stage;
        const root = rootOf(runtime);
        expect(existsSync(join(root, runtime.workdir, 'node_modules/typescript')), 'the runtime has no build tools').toBe(false);
        mount(['-t', 'proc', 'proc'], join(root, 'proc'));
        mount(['--bind', '/dev'], join(root, 'dev'));
        mount(['--bind', '/proc'], join(root, 'host/proc'));
        const entry = [...(runtime.entrypoint ?? []), ...(runtime.cmd ?? [])];
        expect(entry).toEqual(['/opt/keyring-exporter/bin/keyring-exporter', 'serve', '--path.procfs=/host/proc']);
        const version = spawnSync('chroot', [root, entry[0] as string, '--version'], { encoding: 'utf8' });
        expect(version.stdout, version.stderr).toMatch(/^keyring-exporter, version \S+ \(branch: unknown, revision: unknown\)\n[\s\S]*node version: {5}v\d+/);
        const port = await freePort();
        server = spawn('chroot', [root, ...entry, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
        const body = await until('a scrape of the image', async () => {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`);
          return res.ok ? res.text() : undefined;
        }, 60);
        for (const collector of COLLECTORS) expect(body).toContain(`keyring_scrape_collector_success{collector="${collector}"} 1`);
        // The host's trust store, listed by the kernel (KEYCTL_READ) from inside the image.
        expect(body).toMatch(/^keyring_trust_store_keys\{keyring="\.builtin_trusted_keys",role="code"\} \d+$/m);
        // koffi's prebuilt binary loads in the image: every record is confirmed by the kernel.
        expect(body).toMatch(/^keyring_records_confirmed 1$/m);
      } finally {
        if (server?.pid !== undefined && server.exitCode === null) {
          server.kill('SIGTERM');
          await new Promise((r) => server?.once('exit', r));
        }
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
        rmSync(work, { recursive: true, force: true });
      }
    },
    1_200_000,
  );
});
