/**
 * `systemctl reload` (SIGHUP) while serve is still making its first read, which takes seconds on a host with
 * many keys: Node's default for SIGHUP ends the process. The first read is held here by a FIFO in place of a
 * sysctl file, so the signal arrives while serve waits in it.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, cpSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { hasCommand, itWith } from '../helpers/prerequisites.js';
import { BIN } from '../helpers/run-bin.js';
import { freePort, until } from '../helpers/waiting.js';

describe('serve: SIGHUP while starting', () => {
  itWith([hasCommand('mkfifo')])('is held until the reload handlers are in place, then served as a reload; the process lives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-hup-'));
    const child = { pid: 0, stderr: '', exited: false, signal: null as NodeJS.Signals | null };
    try {
      cpSync(new URL('../fixtures/quota-full/', import.meta.url).pathname, dir, { recursive: true });
      const fifo = join(dir, 'sys/kernel/keys/maxkeys');
      rmSync(fifo);
      await until('mkfifo', async () => ((await import('node:child_process')).spawnSync('mkfifo', [fifo]).status === 0 ? true : undefined), 5);
      const port = await freePort();
      const p = spawn(process.execPath, [BIN, 'serve', '--path.procfs', dir, '--web.listen-address', `127.0.0.1:${port}`, '--log.level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.pid = p.pid ?? 0;
      p.stderr.on('data', (d: Buffer) => void (child.stderr += d.toString()));
      const exited = new Promise<number | null>((r) =>
        p.on('exit', (code, signal) => {
          child.exited = true;
          child.signal = signal;
          r(code);
        }),
      );
      // Opening the FIFO's writing end without blocking succeeds once serve holds its reading end: it is reading.
      const writer = await until('serve to open the FIFO', async () => {
        try {
          return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          return undefined;
        }
      }, 30);
      process.kill(child.pid, 'SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
      expect({ exited: child.exited, signal: child.signal }, child.stderr).toEqual({ exited: false, signal: null });
      writeSync(writer, '200\n');
      closeSync(writer);
      // Later reads find a plain file there.
      rmSync(fifo);
      writeFileSync(fifo, '200\n');
      const body = await until('a scrape', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        return res.ok ? res.text() : undefined;
      }, 30);
      expect(body).toContain('keyring_sysctl_maxkeys 200');
      await until('the held SIGHUP to be served', async () => (child.stderr.includes('msg="SIGHUP received while starting: reloading"') ? true : undefined), 10);
      process.kill(child.pid, 'SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.pid !== 0 && !child.exited) process.kill(child.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
