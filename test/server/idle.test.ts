/**
 * Between scrapes a serving exporter does nothing: no timer wakes its event loop. prom-client's event-loop-lag
 * module sampled the loop every 10 ms for the life of the process (src/server/exporter-metrics.ts): 100 wakeups
 * a second, and more CPU per 15-second scrape interval than the scrape itself.
 *
 * The exporter runs as a process, with its own metrics on (the default), on a captured host; the wakeups of its
 * main thread are counted by the kernel (/proc/PID/task/PID/status) over a few idle seconds.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/run-bin.js';

const fixture = new URL('../fixtures/root-host-baseline/', import.meta.url).pathname;

/** Times the main thread of `pid` has been switched out: every wait it woke from, and every preemption. */
function contextSwitches(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const count = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('an idle exporter', () => {
  it('does not wake up between scrapes', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--web.listen-address', '127.0.0.1:0', '--path.procfs', fixture], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the exporter exited (${code}) before listening`)));
        createInterface({ input: child.stderr! }).on('line', (line) => {
          const m = / msg=listening address=(\S+)/.exec(line);
          if (m !== null) resolve(m[1] as string);
        });
      });
      // Scraped, with its own metrics (the event-loop lag among them): whatever a scrape starts is running.
      for (let i = 0; i < 3; i++) {
        const body = await (await fetch(`http://${address}/metrics`)).text();
        expect(body).toContain('nodejs_eventloop_lag_seconds');
        expect(body).toContain('keyring_keys{');
      }
      await sleep(500);
      const pid = child.pid as number;
      const before = contextSwitches(pid);
      await sleep(3000);
      const woke = contextSwitches(pid) - before;
      // With a 10 ms timer this was about 300. A few are the runtime's own (a collection after the scrapes).
      expect(woke, 'context switches of the main thread in 3 idle seconds').toBeLessThan(30);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  }, 20_000);
});
