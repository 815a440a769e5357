/**
 * `--view all-users`: /proc/keys lists only what the reader may view and root has no exception
 * (kernel-format.md §1.11), so other users' session and user keyrings are invisible to a root exporter.
 * As root, read /proc/keys once as every uid /proc/key-users lists (a child process with that uid and gid:
 * the opener's credentials decide what is listed), merge the reads by serial, and render the merged records
 * exactly as the kernel prints them, so that the same parser and the same invariants judge the result.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProcKeyUsers } from '../parser/proc-key-users.js';
import { parseProcKeysBytes } from '../parser/proc-keys.js';
import { formatKeyHeader, keyText } from '../parser/key-record.js';
import { buildSnapshot, type Snapshot } from '../parser/snapshot.js';
import { bufferSource, readProcFiles } from './read-proc-files.js';

export interface ViewCoverage {
  view: 'all-users';
  /** Uids /proc/keys was read as (root first). */
  readers: number[];
  /** Reads that failed, with why. */
  failed: { uid: number; error: string }[];
}

/** How many reads run at once. */
const CONCURRENCY = 8;

function readAs(path: string, uid: number, gid: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // cat: the smallest process that opens the file with the child's credentials. Node drops supplementary
    // groups when uid/gid are given (libuv calls setgroups(0, NULL)).
    const child = spawn('cat', ['--', path], { uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(Buffer.concat(err).toString('utf8').trim() || `cat exited ${code}`));
    });
  });
}

/** The primary gid of each uid from /etc/passwd under the root, else the uid itself. */
async function primaryGids(rootDir: string): Promise<Map<number, number>> {
  const gids = new Map<number, number>();
  try {
    const text = await readFile(join(rootDir, 'etc/passwd'), 'utf8');
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f.length >= 4 && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? '')) gids.set(Number(f[2]), Number(f[3]));
    }
  } catch {
    // no passwd: use the uid as the gid
  }
  return gids;
}

export async function readAllUsersSnapshot(
  procRoot: string,
  clock: () => number,
  opts: { rootDir?: string } = {},
): Promise<{ snapshot: Snapshot; coverage: ViewCoverage; keysBytes?: Buffer }> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    throw new ViewError('--view all-users needs root: only root can read /proc/keys as every other uid');
  const raw = await readProcFiles(procRoot);
  const coverage: ViewCoverage = { view: 'all-users', readers: [0], failed: [] };
  if (raw.keys.status !== 'ok' || raw.keys.source === undefined || raw.keyUsers.status !== 'ok' || raw.keyUsers.text === undefined)
    return { snapshot: buildSnapshot(raw, Math.floor(clock())), coverage };

  const uids = parseProcKeyUsers(raw.keyUsers.text).users.map((u) => u.uid).filter((u) => u !== 0);
  const gids = await primaryGids(opts.rootDir ?? '/');
  const keysPath = join(procRoot, 'keys');
  const reads: Buffer[] = [raw.keys.source.bytes as Buffer];
  for (let i = 0; i < uids.length; i += CONCURRENCY) {
    const batch = uids.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(batch.map((uid) => readAs(keysPath, uid, gids.get(uid) ?? uid)));
    results.forEach((r, k) => {
      const uid = batch[k] as number;
      if (r.status === 'fulfilled') {
        reads.push(r.value);
        coverage.readers.push(uid);
      } else coverage.failed.push({ uid, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    });
  }

  // Root without CAP_SETUID/CAP_SETGID (a unit's CapabilityBoundingSet=, a container's drop: [ALL]) cannot
  // become anyone: every read fails alike, and the view asked for cannot be had. Not a partial view: an error.
  if (uids.length > 0 && coverage.failed.length === uids.length)
    throw new ViewError(
      `--view all-users could not read /proc/keys as any of the ${uids.length} other uids (${coverage.failed[0]?.error ?? 'unknown error'}): ` +
        'it needs root with CAP_SETUID and CAP_SETGID',
    );

  // Merge by serial: the first read that shows a key gives its line. Render in ascending serial order, as
  // one read by a reader who may view everything would print it.
  const bySerial = new Map<number, string>();
  for (const buf of reads) {
    const { table } = parseProcKeysBytes(bufferSource(buf));
    for (let i = 0; i < table.count; i++) {
      const serial = table.serialAt(i);
      if (bySerial.has(serial)) continue;
      const r = table.record(i);
      bySerial.set(serial, formatKeyHeader(r) + keyText(r));
    }
  }
  const merged = [...bySerial.entries()].sort((a, b) => a[0] - b[0]).map(([, line]) => line + '\n').join('');
  const keysBytes = Buffer.from(merged, 'latin1');
  const mergedRaw = { ...raw, keys: { path: `${keysPath} (read as ${coverage.readers.length} uids)`, status: 'ok' as const, source: bufferSource(keysBytes) } };
  return { snapshot: buildSnapshot(mergedRaw, Math.floor(clock())), coverage, keysBytes };
}

export class ViewError extends Error {}
