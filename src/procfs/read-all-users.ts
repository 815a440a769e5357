/**
 * `--view all-users`: /proc/keys lists only what the reader may view and root has no exception
 * (kernel-format.md §1.11), so other users' session and user keyrings are invisible to a root exporter.
 * As root, read /proc/keys once more as every uid of which /proc/key-users counts keys the exporter's own read
 * does not show, and ask the kernel about each read as that uid (read-keys-as.ts: a thread that takes that uid and gid; the credentials decide what is listed and
 * described), and merge the reads' records by serial, in the kernel's order, as one read by a reader who may view
 * everything would list them. A capture gets the merged records rendered as the kernel prints them, with the
 * kernel's answers, so that an offline audit of it parses the same records.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseProcKeyUsers } from '../parser/proc-key-users.js';
import { parseProcKeys, type ProcKeysParseResult, type RecordSink, type UnconfirmedRecord } from '../parser/proc-keys.js';
import { atLine, createReadMemo, type ReadMemo } from '../parser/read-memo.js';
import { formatKeyHeader, keyText, type KeyRecord } from '../parser/key-record.js';
import { storedAnswers, type KernelAnswers, type KeyAnswer } from '../parser/key-answer.js';
import { buildSnapshot, type RawProcFiles, type ReadCoverage, type Snapshot } from '../parser/snapshot.js';
import { isTrustStoreKeyring } from '../parser/trust-keyrings.js';
import { isLiveProc, readProcFiles } from './read-proc-files.js';
import { readKeysAs } from './read-keys-as.js';

export type ViewCoverage = ReadCoverage;

/** How many reads run at once. */
const CONCURRENCY = 8;

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

export interface AllUsersOptions {
  /** Where /etc/passwd is (the uids' primary gids). */
  rootDir?: string;
  /** At most this many other uids are read as. */
  maxUids?: number;
  /** What the exporter's own last read confirmed (parser/read-memo.ts), for its own read. */
  memo?: ReadMemo;
  /**
   * What the last read as each uid confirmed, by uid: a serving exporter's, kept by it and updated here (the
   * memos of uids not read this time are dropped).
   */
  memos?: Map<number, ReadMemo>;
  /** Whether procRoot is a live procfs, when the caller knows (read-proc-files.ts ReadOptions). */
  live?: boolean;
  /** Also give the merged records as the kernel prints them, and the kernel's answers about them (capture). */
  render?: boolean;
  /** Told each record of the exporter's own read as it is parsed (the merged snapshot holds them all, or others). */
  onRecord?: RecordSink;
}

export async function readAllUsersSnapshot(
  procRoot: string,
  clock: () => number,
  opts: AllUsersOptions = {},
): Promise<{ snapshot: Snapshot; coverage: ViewCoverage; keysBytes?: Buffer; answers?: KeyAnswer[] }> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    throw new ViewError('--view all-users needs root: only root can read /proc/keys as every other uid');
  const raw = await readProcFiles(procRoot, {
    parse: true,
    ...(opts.live !== undefined ? { live: opts.live } : {}),
    ...(opts.memo !== undefined ? { memo: opts.memo } : {}),
    ...(opts.onRecord !== undefined ? { onRecord: opts.onRecord } : {}),
  });
  const coverage: ViewCoverage = { view: 'all-users', readers: [0], failed: [] };
  if (raw.keys.status !== 'ok' || (raw.keys.text === undefined && raw.keysParsed === undefined) || raw.keyUsers.status !== 'ok' || raw.keyUsers.text === undefined)
    return { snapshot: { ...buildSnapshot(raw, Math.floor(clock())), coverage }, coverage };

  // Only the uids of which this read shows fewer keys than /proc/key-users counts are read as: the others have
  // nothing more to show. The largest gaps first, up to `maxUids`; the rest are reported as not read.
  const own = raw.keysParsed ?? parseProcKeys(raw.keys.text ?? '', raw.answers, raw.answers !== undefined ? raw.memo : undefined);
  const seen = new Map<number, number>();
  // Root is never read as again: its keys are not counted (on most hosts, most of them).
  for (const r of own.records) if (r.uid !== 0) seen.set(r.uid, (seen.get(r.uid) ?? 0) + 1);
  const gap = (u: { uid: number; nkeys: number }): number => u.nkeys - (seen.get(u.uid) ?? 0);
  const hidden = (raw.keyUsersParsed ?? parseProcKeyUsers(raw.keyUsers.text)).users.filter((u) => u.uid !== 0 && gap(u) > 0);
  hidden.sort((a, b) => gap(b) - gap(a) || a.uid - b.uid);
  const maxUids = opts.maxUids ?? Number.POSITIVE_INFINITY;
  for (const u of hidden.slice(maxUids)) coverage.failed.push({ uid: u.uid, error: `not read: more than ${maxUids} uids have keys this reader cannot see (--collector.users.max-uids)`, reason: 'max_uids' });
  const uids = hidden.slice(0, maxUids).map((u) => u.uid);
  const gids = uids.length === 0 ? new Map<number, number>() : await primaryGids(opts.rootDir ?? '/');
  const keysPath = join(procRoot, 'keys');
  const reads: { parsed: ProcKeysParseResult; answers?: KernelAnswers }[] = [{ parsed: own, ...(raw.answers !== undefined ? { answers: raw.answers } : {}) }];
  let failedReads = 0;
  for (let i = 0; i < uids.length; i += CONCURRENCY) {
    const batch = uids.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(batch.map((uid) => readKeysAs(keysPath, uid, gids.get(uid) ?? uid)));
    results.forEach((r, k) => {
      const uid = batch[k] as number;
      if (r.status === 'fulfilled') {
        // Without the kernel's answers in the uid's own read (no bridge in the reader), its records are text alone.
        const answers = r.value.bridgeError === undefined ? storedAnswers('kernel', r.value.answers) : undefined;
        let memo = opts.memos?.get(uid);
        if (memo === undefined && opts.memos !== undefined && answers !== undefined) opts.memos.set(uid, (memo = createReadMemo()));
        reads.push({ parsed: parseProcKeys(r.value.bytes.toString('latin1'), answers, memo), ...(answers !== undefined ? { answers } : {}) });
        coverage.readers.push(uid);
      } else {
        failedReads++;
        const stage = (r.reason as { stage?: unknown } | null)?.stage;
        coverage.failed.push({ uid, error: r.reason instanceof Error ? r.reason.message : String(r.reason), reason: stage === 'credentials' ? 'credentials' : 'read' });
      }
    });
  }

  if (opts.memos !== undefined) for (const uid of opts.memos.keys()) if (!uids.includes(uid)) opts.memos.delete(uid);

  // Root without CAP_SETUID/CAP_SETGID (a unit's CapabilityBoundingSet=, a container's drop: [ALL]) cannot
  // become anyone: every read fails alike, and the view asked for cannot be had. Not a partial view: an error.
  if (uids.length > 0 && failedReads === uids.length)
    throw new ViewError(
      `--view all-users could not read /proc/keys as any of the ${uids.length} other uids (${coverage.failed.find((f) => f.reason !== 'max_uids')?.error ?? 'unknown error'}): ` +
        'it needs root with CAP_SETUID and CAP_SETGID',
    );

  const merged = mergeReads(reads, own.format);
  const mergedRaw: RawProcFiles = {
    ...raw,
    keys: { path: `${keysPath} (read as ${coverage.readers.length} uids)`, status: 'ok' },
    keysParsed: merged,
  };
  const snapshot = { ...buildSnapshot(mergedRaw, Math.floor(clock())), coverage };
  if (opts.render !== true) return { snapshot, coverage };
  const answers: KeyAnswer[] = [];
  for (const r of merged.records) {
    const a = reads.map((read) => read.answers?.given.get(r.serialNumber)).find((x) => x !== undefined);
    if (a !== undefined) answers.push(a);
  }
  const keysBytes = Buffer.from(merged.records.map((r) => `${formatKeyHeader(r)}${keyText(r)}\n`).join(''), 'latin1');
  return { snapshot, coverage, keysBytes, answers };
}

/**
 * The reads' records merged by serial, as the kernel described each key to a reader who may view it: a record
 * the kernel confirmed replaces any other, so a forged copy of a key in another reader's read cannot stand in for
 * it. In ascending serial order, numbered as one read by a reader who may view everything would print them.
 * Records a read listed that the kernel did not confirm are reported unless another read confirmed the key.
 */
export function mergeReads(reads: readonly { parsed: ProcKeysParseResult }[], format: ProcKeysParseResult['format']): ProcKeysParseResult {
  // The exporter's own read alone (no other uid had keys it cannot see): itself.
  if (reads.length === 1 && reads[0] !== undefined) return reads[0].parsed;
  const RANK: Record<KeyRecord['confirmation'], number> = { described: 2, dead: 1, unconfirmed: 0 };
  const bySerial = new Map<number, KeyRecord>();
  for (const { parsed } of reads)
    for (const r of parsed.records) {
      const held = bySerial.get(r.serialNumber);
      if (held === undefined || RANK[held.confirmation] < RANK[r.confirmation]) bySerial.set(r.serialNumber, r);
    }
  const records: KeyRecord[] = [];
  let line = 1;
  for (const serial of [...bySerial.keys()].sort((x, y) => x - y)) {
    const r = atLine(bySerial.get(serial) as KeyRecord, line);
    records.push(r);
    line += r.lineCount;
  }
  const unconfirmed = new Map<string, UnconfirmedRecord>();
  for (const { parsed } of reads) for (const u of parsed.unconfirmed) if (!bySerial.has(Number.parseInt(u.serial, 16))) unconfirmed.set(u.serial, u);
  const confirmedBy = reads.every(({ parsed }) => parsed.confirmedBy !== null) ? (reads[0]?.parsed.confirmedBy ?? null) : null;
  return {
    records,
    unconfirmed: [...unconfirmed.values()],
    trustKeyrings: records.filter(isTrustStoreKeyring),
    issues: [],
    issueCount: 0,
    format: { ...format, physicalLines: line - 1 },
    confirmedBy,
  };
}

export class ViewError extends Error {}

/** CAP_SETGID and CAP_SETUID (include/uapi/linux/capability.h): bits 6 and 7 of a capability set. */
const SETGID_SETUID = 0xc0n;

/**
 * Whether this process may read /proc/keys as other uids: root, with CAP_SETUID and CAP_SETGID in its effective
 * set (/proc/self/status CapEff), on the live procfs. A system call filter may still refuse the switch: the
 * first read says so (ViewError).
 */
export async function maySwitchUids(procRoot: string): Promise<{ may: boolean; why: string }> {
  if (!isLiveProc(procRoot)) return { may: false, why: `${procRoot} is not the live /proc` };
  if (typeof process.geteuid !== 'function' || process.geteuid() !== 0) return { may: false, why: 'not running as root' };
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(await readFile('/proc/self/status', 'latin1'))?.[1];
    if (hex === undefined) return { may: false, why: 'no CapEff line in /proc/self/status' };
    return (BigInt(`0x${hex}`) & SETGID_SETUID) === SETGID_SETUID ? { may: true, why: 'root with CAP_SETUID and CAP_SETGID' } : { may: false, why: 'root without CAP_SETUID and CAP_SETGID' };
  } catch (err) {
    return { may: false, why: `/proc/self/status: ${(err as Error).message}` };
  }
}
