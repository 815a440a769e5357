/**
 * Reads smaller than a large one (LARGE_READ_BYTES: about 45,000 keys) are read into buffers of their size and
 * collected after every few (procfs/seq-file-reader.ts, collect-garbage.ts). Each used to get a 32 MiB buffer,
 * which V8 counts against its old generation's limit: every scrape of a host with a few hundred keys or more made
 * V8 scavenge twice for "external memory pressure" and collect its whole heap, inside the scrape (32-38 ms of CPU
 * a scrape at 300 keys, against 5 now).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { asRead, betweenReads, generateProcKeys, parseAndClassify } from '../../scripts/bench.js';
import { collectGarbage, collectNowIfDue, LARGE_READ_BYTES, noteRead } from '../../src/procfs/collect-garbage.js';
import { bufferSource } from '../../src/procfs/read-proc-files.js';
import { FileBytes, SMALL_BUFFERS_PER_COLLECTION } from '../../src/procfs/seq-file-reader.js';
import { KEYS_SYSCTLS } from '../../src/parser/keys-sysctl.js';
import type { RawProcFiles } from '../../src/parser/snapshot.js';

interface GcEntry {
  start: number;
  kind: number;
  flags: number;
}

async function observeGc<T>(f: () => Promise<T>): Promise<{ result: T; gcs: GcEntry[] }> {
  const gcs: GcEntry[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const { kind, flags } = (e as unknown as { detail: { kind: number; flags: number } }).detail;
      gcs.push({ start: e.startTime, kind, flags });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const result = await f();
    await new Promise((r) => setTimeout(r, 100)); // the observer is told asynchronously
    return { result, gcs };
  } finally {
    observer.disconnect();
  }
}

const forced = (g: GcEntry): boolean => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR && (g.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0;

describe('reads smaller than a large one', () => {
  it('are read into a buffer of the size asked for; large ones into a mapping of at least 32 MiB', () => {
    expect(new FileBytes(1_000_000).view().buffer.byteLength).toBe(1_000_000);
    expect(new FileBytes(LARGE_READ_BYTES - 1).view().buffer.byteLength).toBe(LARGE_READ_BYTES - 1);
    expect(new FileBytes(LARGE_READ_BYTES).view().buffer.byteLength).toBeGreaterThanOrEqual(32 * 1024 * 1024);
  });

  it('are collected once their buffers add up to a large one, and a large read at once', async () => {
    const step = 1024 * 1024;
    // Counting starts from a collection, with no spare buffer left from a large read (a read takes it whatever its size).
    collectGarbage();
    new FileBytes(step).append(Buffer.alloc(16));
    collectGarbage();
    const { result: dueAt, gcs } = await observeGc(async () => {
      const at: number[] = [];
      for (let read = 1; read <= 2 * Math.ceil(SMALL_BUFFERS_PER_COLLECTION / step); read++) {
        // A read into a small buffer, as the reader thread's are below LARGE_READ_BYTES.
        new FileBytes(step).append(Buffer.alloc(16));
        noteRead(step);
        at.push(performance.now());
        collectNowIfDue();
      }
      at.push(performance.now());
      noteRead(LARGE_READ_BYTES);
      collectNowIfDue();
      return at;
    });
    const reads = gcs.filter(forced).map((g) => dueAt.findLastIndex((t) => t <= g.start) + 1);
    const every = Math.ceil(SMALL_BUFFERS_PER_COLLECTION / step);
    expect(reads).toEqual([every, 2 * every, 2 * every + 1]);
  });

  it('never makes a collection for a small host, whose file is read without such a buffer', async () => {
    collectGarbage();
    const { gcs } = await observeGc(async () => {
      // 5,000 scrapes of a 20-key host (2 KB): 10 MB in all.
      for (let read = 0; read < 5_000; read++) {
        noteRead(2_000);
        collectNowIfDue();
      }
    });
    expect(gcs.filter(forced)).toEqual([]);
  });

  it('are parsed with no collection of V8 own starting inside them, at 10,000 keys', async () => {
    const { keys, keyUsers } = generateProcKeys(10_000);
    expect(keys.length).toBeLessThan(LARGE_READ_BYTES);
    const ok = (path: string, text: string) => ({ path, status: 'ok' as const, text });
    const raw: RawProcFiles = {
      keys: { path: 'keys', status: 'ok', source: bufferSource(Buffer.from(keys, 'latin1')) },
      keyUsers: ok('key-users', keyUsers),
      sysctls: Object.fromEntries(KEYS_SYSCTLS.map((s) => [s, ok(s, '200\n')])) as RawProcFiles['sysctls'],
    };
    const input = asRead(raw);
    // Warmed up as a serving exporter is, then read as the exporter reads, with what it does between scrapes.
    for (let i = 0; i < 5; i++) {
      parseAndClassify(input);
      await betweenReads(keys.length);
    }
    const { result: windows, gcs } = await observeGc(async () => {
      const w: [number, number][] = [];
      for (let i = 0; i < 12; i++) {
        const t0 = performance.now();
        expect(parseAndClassify(input).inventory.byRow.rows.length).toBe(10_000);
        w.push([t0, performance.now()]);
        await betweenReads(keys.length);
      }
      return w;
    });
    const major = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR || g.kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL);
    const inside = major.filter((g) => windows.some(([a, b]) => g.start >= a && g.start <= b));
    expect(inside).toEqual([]);
    // Collected between reads, every few.
    expect(gcs.filter(forced).length).toBeGreaterThanOrEqual(2);
    expect(gcs.filter(forced).length).toBeLessThanOrEqual(4);
  }, 60_000);
});
