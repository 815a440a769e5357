/**
 * The only module that reads the keys files. `procRoot` is /proc on a live host, or a folder laid out like it
 * (a capture, a fixture): DIR/keys, DIR/key-users, DIR/sys/kernel/keys/*.
 * Each file is read once, as bytes (latin1), and a failure is a status, never an exception.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectedSize, readToEnd, type OnBytes } from './seq-file-reader.js';
import { noteRead } from './collect-garbage.js';
import { KEYS_SYSCTLS, type KeysSysctl } from '../parser/keys-sysctl.js';
import { buildSnapshot, type FileRead, type RawProcFiles, type Snapshot } from '../parser/snapshot.js';
import type { ByteSource } from '../parser/byte-source.js';
import type { KeyTable } from '../parser/key-table.js';
import { streamProcKeys, type ProcKeysStream } from '../parser/proc-keys.js';

/**
 * Bytes read from a file, for the parser to scan, and a way to cut the strings a record keeps from them.
 * There is no latin1 copy of the whole file up front: a scrape makes a few strings (a first-seen flag or type
 * column, the rare reserved keyring name; classify/inventory.ts reads the common names as bytes), and the copy
 * was a second 9 MB per read at 100,000 keys, kept as long as the table (measured: 17 MB of external memory per
 * read with it, 8.5 MB without). Strings of up to 4 bytes (`_ses`, an expiry column) are made in JavaScript, a
 * native Buffer#toString costing more than they do. Once enough strings have been cut that one copy of the file
 * costs less than cutting each (the `keys` command, every description of an audit), the copy is made and
 * sliced, as a JavaScript slice is far cheaper than a Buffer#toString call per string.
 */
export function bufferSource(buf: Buffer): ByteSource {
  let text: string | null = null;
  let cut = 0;
  const cutOne = (start: number, end: number): string => {
    switch (end - start) {
      case 0:
        return '';
      case 1:
        return String.fromCharCode(buf[start] as number);
      case 2:
        return String.fromCharCode(buf[start] as number, buf[start + 1] as number);
      case 3:
        return String.fromCharCode(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number);
      case 4:
        return String.fromCharCode(buf[start] as number, buf[start + 1] as number, buf[start + 2] as number, buf[start + 3] as number);
    }
    // A string cut natively costs about as much as copying 256 bytes of the file.
    if (++cut * 256 <= buf.length) return buf.toString('latin1', start, end);
    text = buf.toString('latin1');
    return text.slice(start, end);
  };
  // Once the copy is made, a cut is one slice.
  return { bytes: buf, latin1: (start, end) => (text !== null ? text.slice(start, end) : cutOne(start, end)) };
}

/**
 * How a file is read. /proc/keys is a seq_file: each read(2) returns at most one page, so 100,000 keys (9 MB)
 * take some 2,300 reads, and fs.readFile makes every one a round trip through libuv's thread pool (measured at
 * 100,000 keys: 0.35 to 0.65 s against 0.2 s for cat). So the first pages are read here, synchronously, which
 * is all of every other file and of a small host's /proc/keys (a scrape costs a few system calls, no round
 * trip); a file still going after them is read to its end by one worker thread with blocking reads, as cat
 * reads it (seq-file-reader.ts), while the event loop stays free for concurrent scrapes to join. A capture (a
 * regular file, its size known) is read in one go.
 */
function readBytes(path: string, onBytes?: OnBytes): Buffer | Promise<Buffer> {
  // Anything but a regular file (a FIFO, a device, a socket a capture tool left behind) could block a
  // synchronous read, and with it every other request: it is read asynchronously. Opened without blocking (a
  // FIFO's open would wait for a writer) and checked on the descriptor: a stat of the path as well was a path
  // walk per file, 9 files per scrape (4% of a small host's scrape, --cpu-prof).
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let handedOver = false;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return readFile(path);
    if (st.size > 0) return readFileSync(fd);
    let n = 0;
    for (let reads = 0; reads < HEAD_READS && n < scratch.length; reads++) {
      const r = readSync(fd, scratch, n, scratch.length - n, null);
      if (r === 0) return Buffer.from(scratch.subarray(0, n));
      n += r;
    }
    handedOver = true;
    return readToEnd(fd, scratch.subarray(0, n), onBytes).finally(() => closeSync(fd));
  } finally {
    if (!handedOver) closeSync(fd);
  }
}

/** Reused by every read (they are synchronous up to the hand-over, which copies what it was given). */
const scratch = Buffer.allocUnsafe(64 * 1024);
const HEAD_READS = 4;

/**
 * A file's bytes (`asBytes`: for the parser to scan) or text. `onBytes`, if given, is told the bytes read so far
 * as the reader thread reads them (a large seq_file only).
 */
export async function readProcFile(path: string, asBytes = false, onBytes?: OnBytes): Promise<FileRead> {
  try {
    const buf = await readBytes(path, onBytes);
    // /proc/keys is handed over as bytes, its strings cut on demand (parser/byte-source.ts).
    if (asBytes) return { path, status: 'ok', source: bufferSource(buf) };
    return { path, status: 'ok', text: buf.toString('latin1') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? 'EIO';
    const status = code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : code === 'EACCES' || code === 'EPERM' ? 'denied' : 'failed';
    return { path, status, error: e.message.startsWith(code) ? e.message : `${code}: ${e.message}` };
  }
}

/** Told the rows of /proc/keys parsed so far, while the reader thread reads the rest (server/scraper.ts classifies them). */
export type OnRows = (table: KeyTable) => void;

/**
 * /proc/keys, parsed as it is read when it is large enough for the reader thread (FileRead.parsed): the kernel
 * takes some 150 ms to print 100,000 keys, one page per read(2), and the parse of each part runs on the event
 * loop's thread while the reader thread waits for the next, instead of 30 ms after the last. A parse that fails
 * (a bug: the parser never throws on any input) is dropped, and the bytes are parsed again whole.
 */
export async function readKeysFile(path: string, onRows?: OnRows): Promise<FileRead> {
  const parse = new KeysParse(onRows);
  return parse.finish(await readProcFile(path, true, (bytes) => parse.feed(bytes)));
}

/**
 * The parse of /proc/keys as its bytes arrive (readKeysFile; `npm run bench` runs it the same way): `feed` with the
 * bytes read so far, each time the reader thread tells them, then `finish` with the read.
 */
export class KeysParse {
  private stream: ProcKeysStream | null = null;
  private broken = false;

  /** `expectedBytes`: how large the file is likely to be (what the parser sizes its tables for). */
  constructor(
    private readonly onRows?: OnRows,
    private readonly expectedBytes = expectedSize(),
  ) {}

  /** `bytes`: the first `bytes.length` bytes of the file, final. */
  feed(bytes: Buffer): void {
    if (this.broken) return;
    try {
      this.stream ??= streamProcKeys(this.expectedBytes);
      this.stream.feed({ bytes, latin1: (start, end) => bytes.toString('latin1', start, end) }, bytes.length);
      this.onRows?.(this.stream.table);
    } catch {
      this.broken = true;
    }
  }

  /** The read, with the parse (FileRead.parsed) when every part was parsed. */
  finish(read: FileRead): FileRead {
    const stream = this.stream;
    if (read.status !== 'ok' || read.source === undefined || stream === null || this.broken) return read;
    try {
      return { ...read, parsed: stream.finish(read.source) };
    } catch {
      return read;
    }
  }
}

export async function readProcFiles(procRoot: string, onRows?: OnRows): Promise<RawProcFiles> {
  // /proc/key-users before and after /proc/keys: the files are not one atomic snapshot, and a uid whose
  // counters moved in between cannot be checked against what /proc/keys showed (parser/snapshot.ts).
  const keyUsers = await readProcFile(join(procRoot, 'key-users'));
  const keys = await readKeysFile(join(procRoot, 'keys'), onRows);
  const keyUsersAfter = keyUsers.status === 'ok' ? await readProcFile(join(procRoot, 'key-users')) : undefined;
  const entries = await Promise.all(
    KEYS_SYSCTLS.map(async (name) => [name, await readProcFile(join(procRoot, 'sys/kernel/keys', name))] as const),
  );
  const sysctls = Object.fromEntries(entries) as Record<KeysSysctl, FileRead>;
  const overflowGid = await readProcFile(join(procRoot, 'sys/kernel/overflowgid'));
  return { keys, keyUsers, ...(keyUsersAfter !== undefined ? { keyUsersAfter } : {}), sysctls, overflowGid };
}

export async function readSnapshot(procRoot: string, clock: () => number = () => Date.now() / 1000, onRows?: OnRows): Promise<Snapshot> {
  const raw = await readProcFiles(procRoot, onRows);
  noteRead(raw.keys.source?.bytes.length ?? 0);
  return buildSnapshot(raw, Math.floor(clock()));
}
