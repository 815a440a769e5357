/**
 * A large /proc/keys read on the reader thread and parsed as it is read (src/procfs/stream-read.ts,
 * read-proc-files.ts): the bytes handed over are the file's, and the parse is the one a read in one go makes, on
 * the real kernel with real keys (scripts/bench/keyholder.py, in a session keyring of its own).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadMemo } from '../../src/parser/read-memo.js';
import { buildSnapshot } from '../../src/parser/snapshot.js';
import type { KeyRecord } from '../../src/parser/proc-keys.js';
import { readProcFiles } from '../../src/procfs/read-proc-files.js';
import { streamProcFile } from '../../src/procfs/stream-read.js';

let holder: ChildProcessWithoutNullStreams | null = null;

/** A keyholder with `n` keys in its session (about 90 bytes of /proc/keys each). */
async function holdKeys(n: number): Promise<{ session: number }> {
  const child = spawn('python3', [new URL('../../scripts/bench/keyholder.py', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'pipe'] });
  holder = child;
  const lines = createInterface({ input: child.stdout });
  child.stdin.write(`grow ${n}\n`);
  for await (const line of lines) {
    const r = JSON.parse(line) as { ok: boolean; session: number; error?: string };
    if (!r.ok) throw new Error(`keyholder: ${r.error ?? line}`);
    return { session: r.session };
  }
  throw new Error('keyholder ended before it was ready');
}

beforeAll(async () => {
  // More than the reader's 1 MB ring holds (about 90 bytes a key): a read wraps around it.
  await holdKeys(14000);
}, 60_000);

afterAll(async () => {
  const child = holder;
  if (child === null || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.end('quit\n');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
});

describe('streamProcFile', () => {
  it('hands over a /proc file as it is read, in order, each part from where the sink asked, to its end', async () => {
    const reports: number[] = [];
    let text = '';
    const n = await streamProcFile('/proc/keys', (window, at, done) => {
      reports.push(at + window.length);
      // Consumed up to the last whole line, as a parse does: the rest comes again with the next part.
      const keep = done ? window.length : window.lastIndexOf('\n') + 1;
      text += window.slice(0, keep);
      return at + keep;
    });
    expect(reports.length).toBeGreaterThan(2);
    expect(reports.every((r, i) => i === 0 || r >= (reports[i - 1] as number))).toBe(true);
    expect(reports.at(-1)).toBe(n);
    // The file as the kernel prints it: record lines, the last one ended.
    expect(text.length).toBe(n);
    expect(text).toMatch(/^[0-9a-f]{8} [^\n]*\n(?:[^\n]*\n)*$/);
  });

  it('gives a file several times its ring byte for byte, however much of each part the sink leaves for the next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-stream-'));
    try {
      const path = join(dir, 'bytes');
      writeFileSync(path, randomBytes(3 * 1024 * 1024 + 12345));
      for (const keep of [0, 1, 17_000, 200_000]) {
        let text = '';
        await streamProcFile(path, (window, at, done) => {
          // Leaves up to `keep` bytes unconsumed: they come again at the start of the next part.
          const take = done ? window.length : Math.max(0, window.length - keep);
          text += window.slice(0, take);
          return at + take;
        });
        expect(Buffer.from(text, 'latin1').equals(readFileSync(path))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives a regular file byte for byte, and a missing one as its errno', async () => {
    const path = new URL('../../package.json', import.meta.url).pathname;
    let text = '';
    await streamProcFile(path, (window, at) => {
      text += window;
      return at + window.length;
    });
    expect(text).toBe(readFileSync(path, 'latin1'));
    await expect(streamProcFile('/proc/no-such-file', (window, at) => at + window.length)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects with what the sink threw, or when it keeps more than the reader can hold, and reads again after it', async () => {
    await expect(
      streamProcFile('/proc/keys', () => {
        throw new Error('sink failed');
      }),
    ).rejects.toThrow('sink failed');
    await expect(streamProcFile('/proc/keys', (_window, at) => at)).rejects.toThrow(/unconsumed/);
    expect(await streamProcFile('/proc/keys', (window, at) => at + window.length)).toBeGreaterThan(0);
  });
});

describe('readProcFiles of a large /proc/keys', () => {
  const view = (r: KeyRecord) => ({ serial: r.serialNumber, uid: r.uid, type: r.type.name, description: r.description, summary: r.summaryText, confirmation: r.confirmation });

  it('parses it as it is read, as a read in one go parses it, with the memo of a serving exporter', async () => {
    const memo = createReadMemo();
    // /proc/key-users counts over 4,096 keys: every read is streamed, the first (which asks the kernel about
    // every key) and those after it (with the memo of the one before).
    for (let i = 0; i < 3; i++) {
      const told: KeyRecord[] = [];
      const raw = await readProcFiles('/proc', { memo, parse: true, onRecord: (r) => told.push(r) });
      expect(raw.keys.status).toBe('ok');
      expect(raw.keys.text).toBeUndefined();
      expect(raw.keysParsed).toBeDefined();
      const streamed = buildSnapshot(raw, 0);
      // Each record was told as it was parsed: the inventory is made meanwhile (server/scraper.ts).
      expect(told).toEqual(streamed.keys);
      expect(told.every((r, i) => r === streamed.keys[i])).toBe(true);
      const wholeRaw = await readProcFiles('/proc');
      expect(wholeRaw.keys.text?.length).toBeGreaterThan(1024 * 1024);
      const whole = buildSnapshot(wholeRaw, 0);
      expect(streamed.issues).toEqual([]);
      expect(streamed.unconfirmed).toEqual([]);
      expect(streamed.keys.length).toBeGreaterThan(14000);
      // Other tests make and remove keys meanwhile: the keys both reads listed are compared.
      const both = new Set(whole.keys.map((r) => r.serialNumber));
      const inBoth = streamed.keys.filter((r) => both.has(r.serialNumber));
      expect(inBoth.length).toBeGreaterThan(14000);
      const byWhole = new Map(whole.keys.map((r) => [r.serialNumber, view(r)]));
      for (const r of inBoth) expect(view(r)).toEqual(byWhole.get(r.serialNumber));
    }
  });
});
