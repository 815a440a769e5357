/**
 * The read `serve` makes at start (to log what it sees) is a large read like any other: its garbage is collected
 * right away, not left until the first scrape has been served (procfs/collect-garbage.ts).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { generateProcKeys } from '../../scripts/bench.js';
import { runServeCommand } from '../../src/cli/serve-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { LARGE_READ_BYTES } from '../../src/procfs/collect-garbage.js';
import { serveOptions } from '../helpers/serve-options.js';

const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => 1_800_000_000 };

describe('serve at start', () => {
  it('collects the garbage of its first large read before any scrape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-start-'));
    cpSync(new URL('../fixtures/root-host-baseline/sys', import.meta.url).pathname, join(dir, 'sys'), { recursive: true });
    const { keys, keyUsers } = generateProcKeys(50_000);
    expect(keys.length).toBeGreaterThan(LARGE_READ_BYTES);
    writeFileSync(join(dir, 'keys'), keys, 'latin1');
    writeFileSync(join(dir, 'key-users'), keyUsers, 'latin1');
    const forced: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const { kind, flags } = (e as unknown as { detail: { kind: number; flags: number } }).detail;
        if (kind === constants.NODE_PERFORMANCE_GC_MAJOR && (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) forced.push(e.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let listening = -1;
    const t0 = performance.now();
    const done = runServeCommand(serveOptions(dir, { onListening: () => void (listening = performance.now()), stop: stopped }), io);
    try {
      for (let i = 0; i < 500 && listening < 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(listening).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      // Forced: the exporter's own collection, never one V8 starts by itself.
      expect(forced.filter((t) => t >= t0)).toHaveLength(1);
    } finally {
      observer.disconnect();
      stop();
      await done;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
