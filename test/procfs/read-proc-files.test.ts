/**
 * How files are read (src/procfs/read-proc-files.ts): a capture in one go, a seq_file's first pages
 * synchronously and the rest on the reader thread (seq-file-reader.ts), anything else (a FIFO) asynchronously,
 * so that it can never block the event loop. Every path must give back the file's bytes exactly.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferSource, readKeysFile, readProcFile } from '../../src/procfs/read-proc-files.js';
import { parseProcKeysBytes } from '../../src/parser/proc-keys.js';
import type { FileRead } from '../../src/parser/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'kre-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytes(r: FileRead): Buffer {
  if (r.status !== 'ok') throw new Error(`${r.path}: ${r.status} ${r.error ?? ''}`);
  if ('source' in r && r.source !== undefined) return Buffer.from(r.source.bytes);
  return Buffer.from(r.text ?? '', 'latin1');
}

describe('readProcFile', () => {
  it('reads a capture (a regular file with a size) byte for byte, as text or as bytes', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
    const path = join(dir, 'capture');
    writeFileSync(path, data);
    expect(bytes(await readProcFile(path, true)).equals(data)).toBe(true);
    expect(bytes(await readProcFile(path)).equals(data)).toBe(true);
  });

  it('reads a seq_file far larger than its first pages (the reader thread) exactly as cat does', async () => {
    // /proc/kallsyms: megabytes, size 0, one page per read(2), like /proc/keys at 30,000 keys and more.
    // It can change between two reads (a BPF program loaded), so the two readings get a few tries to agree.
    let ours: Buffer = Buffer.alloc(0);
    let cats: Buffer = Buffer.alloc(1);
    for (let attempt = 0; attempt < 5 && !ours.equals(cats); attempt++) {
      ours = bytes(await readProcFile('/proc/kallsyms', true));
      cats = execFileSync('cat', ['/proc/kallsyms'], { maxBuffer: 256 * 1024 * 1024 });
    }
    expect(ours.length).toBeGreaterThan(4 * 64 * 1024);
    expect(ours.equals(cats)).toBe(true);
  });

  it('tells a listener the bytes read so far as the reader thread reads them, each a prefix of the file', async () => {
    const seen: Buffer[] = [];
    const r = await readProcFile('/proc/kallsyms', true, (b) => seen.push(Buffer.from(b)));
    const whole = bytes(r);
    // One report of the first pages (read before the hand-over), then one every 256 KB; the buffer grew on the way
    // when the read outgrew the size of the last one, and kept them.
    expect(seen.length).toBeGreaterThan(whole.length / (512 * 1024));
    expect(seen[0]?.length).toBeGreaterThan(0);
    expect(seen[0]?.length).toBeLessThanOrEqual(4 * 64 * 1024);
    for (let k = 0; k < seen.length; k++) {
      const b = seen[k] as Buffer;
      expect(b.length).toBeGreaterThanOrEqual(k === 0 ? 1 : (seen[k - 1] as Buffer).length);
      expect(b.equals(whole.subarray(0, b.length))).toBe(true);
    }
  });

  it('hands over plain memory, of its own mapping: never a view of a SharedArrayBuffer (V8 reads those slower)', async () => {
    const seen: Buffer[] = [];
    const r = await readProcFile('/proc/kallsyms', true, (b) => seen.push(b));
    const whole = r.status === 'ok' ? r.source?.bytes : undefined;
    expect(whole).toBeDefined();
    expect(seen.length).toBeGreaterThan(2);
    const all = [...seen, whole as Uint8Array];
    for (const b of all) {
      expect(b.buffer).toBeInstanceOf(ArrayBuffer);
      expect(b.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect((b.buffer as ArrayBuffer & { resizable?: boolean }).resizable ?? false).toBe(false);
      // More than 32 MiB: glibc maps it on its own and unmaps it when freed (seq-file-reader.ts ALWAYS_MAPPED).
      expect(b.buffer.byteLength).toBeGreaterThan(32 * 1024 * 1024);
    }
  });

  it('parses a large /proc/keys as it reads it, to the same result as parsing it whole', async () => {
    // /proc/kallsyms stands in for a large /proc/keys: megabytes of lines that are not records, which the
    // parser reports line by line; what matters is that the parse made while reading equals the whole parse.
    const r = await readKeysFile('/proc/kallsyms');
    expect(r.parsed).toBeDefined();
    const whole = parseProcKeysBytes(bufferSource(bytes(r)));
    expect(r.parsed?.issues.length).toBeGreaterThan(10_000);
    expect(r.parsed?.issues).toEqual(whole.issues);
    expect(r.parsed?.format).toEqual(whole.format);
    expect(r.parsed?.table.count).toBe(whole.table.count);
  });

  it('parses a small /proc/keys whole: it is all read in the first pages, with no reader thread', async () => {
    const r = await readKeysFile('/proc/keys');
    expect(r.status).toBe('ok');
    expect(r.parsed).toBeUndefined();
  });

  it('gives each of several concurrent large reads its own, complete file', async () => {
    const reads = await Promise.all([1, 2, 3, 4].map(() => readProcFile('/proc/kallsyms', true)));
    const sizes = reads.map((r) => bytes(r).length);
    for (const s of sizes) expect(s).toBeGreaterThan(4 * 64 * 1024);
    for (const r of reads) expect(bytes(r).subarray(-1).toString()).toBe('\n');
  });

  it('reads a small seq_file in its first pages', async () => {
    const ours = bytes(await readProcFile('/proc/self/status')).toString('latin1');
    expect(ours).toMatch(/^Name:\t/);
    expect(ours.endsWith('\n')).toBe(true);
  });

  it('never blocks the event loop on a FIFO: other work runs while it waits for a writer', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const payload = Buffer.from('0000002a I--Q---     1 perm 3f010000     0     0 keyring   _ses: 1\n');
    let done = false;
    const reading = readProcFile(fifo, true).finally(() => (done = true));
    // A blocked event loop would never run this timer; the read is still waiting for a writer here.
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    createWriteStream(fifo).end(payload);
    expect(bytes(await reading).equals(payload)).toBe(true);
  });

  it('reports a missing file and a directory as a status, never an exception', async () => {
    expect((await readProcFile(join(dir, 'absent'))).status).toBe('absent');
    expect((await readProcFile(dir)).status).toBe('failed');
  });
});

describe('bufferSource', () => {
  it('cuts every range as the latin1 string of those bytes, before and after it makes one copy of the whole file', () => {
    // Every byte value, so that short (made in JavaScript) and long (cut natively, then sliced) strings both meet
    // bytes above 0x7f; 4,096 bytes allow 16 native cuts before the whole copy is made.
    const data = Buffer.alloc(4096);
    for (let i = 0; i < data.length; i++) data[i] = (i * 167 + 13) & 0xff;
    const text = data.toString('latin1');
    const src = bufferSource(data);
    const ranges: [number, number][] = [];
    for (let len = 0; len <= 12; len++) for (const start of [0, 1, 200, 4096 - len]) ranges.push([start, start + len]);
    for (let k = 0; k < 40; k++) ranges.push([k * 50, k * 50 + 33]);
    const cut = ranges.map(([a, b]) => src.latin1(a, b));
    expect(cut).toEqual(ranges.map(([a, b]) => text.slice(a, b)));
    expect(src.bytes).toBe(data);
  });
});
