/**
 * A large read after the collection that followed the last one is parsed with V8's collector idle: the read's
 * buffer was made before that collection (procfs/seq-file-reader.ts `spare`), so it adds nothing V8 counts
 * against its limits. Made when the read started, it made V8 scavenge twice ("external memory pressure") and
 * start incremental marking, under which every pointer the parser stores goes through the marking barrier:
 * parse + classify at 100,000 lines took 28.8 ms at the median of the runs made while V8 marked, 22.0 without.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { generateProcKeys } from '../../scripts/bench.js';
import { collectGarbage } from '../../src/procfs/collect-garbage.js';
import { bufferSource, KeysParse } from '../../src/procfs/read-proc-files.js';
import { FileBytes } from '../../src/procfs/seq-file-reader.js';

describe('a large read after a collection', () => {
  it('is parsed with no garbage collection of any kind (marking started with the first of them)', async () => {
    const file = Buffer.from(generateProcKeys(100_000).keys, 'latin1');
    const gcs: { start: number; kind: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push({ start: e.startTime, kind: (e as unknown as { detail: { kind: number } }).detail.kind });
    });
    observer.observe({ entryTypes: ['gc'] });
    const windows: [number, number][] = [];
    try {
      for (let round = 0; round < 5; round++) {
        const t0 = performance.now();
        // As the reader thread hands a file over: in parts, each appended to the file's buffer and parsed.
        const bytes = new FileBytes(Math.ceil(file.length * 1.25));
        const parse = new KeysParse(undefined, file.length);
        for (let at = 0; at < file.length; at += 320 * 1024) {
          bytes.append(file.subarray(at, Math.min(file.length, at + 320 * 1024)));
          parse.feed(bytes.view());
        }
        const read = parse.finish({ path: 'keys', status: 'ok', source: bufferSource(bytes.view()) });
        windows.push([t0, performance.now()]);
        expect(read.parsed?.table.count).toBeGreaterThan(99_000);
        // What the exporter does once a large read's scrape is served.
        collectGarbage();
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 100)); // the observer is told asynchronously
    } finally {
      observer.disconnect();
    }
    expect(gcs.length).toBeGreaterThanOrEqual(4); // the collections between reads, seen
    // The first read has no buffer made ahead of it.
    const during = gcs.filter((g) => windows.slice(1).some(([a, b]) => g.start >= a && g.start <= b));
    expect(during).toEqual([]);
  }, 60_000);
});
