/**
 * How files are read (src/procfs/read-proc-files.ts): /proc synchronously, a capture or anything else (a FIFO)
 * asynchronously, so that it can never block the event loop. Every path must give back the file's bytes exactly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLiveProc, readProcFile, readSnapshot } from '../../src/procfs/read-proc-files.js';
import { isRoot, itWith } from '../helpers/prerequisites.js';
import type { FileRead } from '../../src/parser/snapshot.js';

const dir = mkdtempSync(join(tmpdir(), 'kre-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytes(r: FileRead): Buffer {
  if (r.status !== 'ok') throw new Error(`${r.path}: ${r.status} ${r.error ?? ''}`);
  return Buffer.from(r.text ?? '', 'latin1');
}

describe('readProcFile', () => {
  it('reads a capture (a regular file with a size) byte for byte, as text or as bytes', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
    const path = join(dir, 'capture');
    writeFileSync(path, data);
    expect(bytes(await readProcFile(path)).equals(data)).toBe(true);
    expect(bytes(await readProcFile(path)).equals(data)).toBe(true);
  });

  it('reads a seq_file far larger than one page exactly as cat does', async () => {
    // /proc/kallsyms: megabytes, size 0, one page per read(2), like /proc/keys at 30,000 keys and more.
    // It can change between two reads (a BPF program loaded), so the two readings get a few tries to agree.
    let ours: Buffer = Buffer.alloc(0);
    let cats: Buffer = Buffer.alloc(1);
    for (let attempt = 0; attempt < 5 && !ours.equals(cats); attempt++) {
      ours = bytes(await readProcFile('/proc/kallsyms'));
      cats = execFileSync('cat', ['/proc/kallsyms'], { maxBuffer: 256 * 1024 * 1024 });
    }
    expect(ours.length).toBeGreaterThan(4 * 64 * 1024);
    expect(ours.equals(cats)).toBe(true);
  });

  it('gives each of several concurrent large reads its own, complete file', async () => {
    const reads = await Promise.all([1, 2, 3, 4].map(() => readProcFile('/proc/kallsyms')));
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
    const reading = readProcFile(fifo).finally(() => (done = true));
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

describe('isLiveProc', () => {
  it('is a procfs wherever it is mounted, and never a folder laid out like one', () => {
    expect(isLiveProc('/proc')).toBe(true);
    expect(isLiveProc(new URL('../fixtures/persistent/', import.meta.url).pathname)).toBe(false);
    expect(isLiveProc(join(dir, 'absent'))).toBe(false);
  });

  itWith([isRoot()])('asks the kernel about the keys of the host\'s /proc mounted elsewhere, as a container\'s /host/proc is', async () => {
    const at = mkdtempSync(join(tmpdir(), 'kre-hostproc-'));
    const mounted = spawnSync('mount', ['-t', 'proc', 'proc', at], { encoding: 'utf8' });
    expect(mounted.status, mounted.stderr).toBe(0);
    try {
      expect(isLiveProc(at)).toBe(true);
      const there = await readSnapshot(at);
      const here = await readSnapshot('/proc');
      expect(there.confirmedBy).toBe('kernel');
      // The kernel's own keyrings, listed and confirmed through either mount.
      const kernel = (s: typeof here) => s.keys.filter((k) => k.uid === 0 && k.description.startsWith('.')).map((k) => [k.serial, k.confirmation]);
      expect(kernel(there)).toEqual(kernel(here));
      expect(kernel(there).length).toBeGreaterThan(0);
    } finally {
      spawnSync('umount', [at]);
      rmSync(at, { recursive: true, force: true });
    }
  });
});
