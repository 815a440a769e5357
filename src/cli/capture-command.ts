/**
 * `keyring-exporter capture OUTDIR`: copy the keys files into OUTDIR laid out like /proc, so that
 * `--path.procfs OUTDIR` reads them on another machine exactly like the live host.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYS_SYSCTLS } from '../parser/keys-sysctl.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { snapshotFor } from './snapshot-for.js';
import type { View } from './views.js';
import { hostname, release } from 'node:os';
import type { KeyAnswer, KeyringMembers } from '../parser/key-answer.js';
import { askKernel } from '../procfs/ask-kernel.js';
import { isLiveProc } from '../procfs/read-proc-files.js';
import { writeKernelAnswers } from '../procfs/kernel-answers-file.js';
import { packageVersion } from './version.js';

/** The files a snapshot reads, relative to the procfs root (procfs/read-proc-files.ts). */
export const CAPTURED_FILES = ['key-users', 'keys', ...KEYS_SYSCTLS.map((s) => `sys/kernel/keys/${s}`), 'sys/kernel/overflowgid'];

export async function runCaptureCommand(opts: { procfs: string; outDir: string; view: View }, io: CliIo): Promise<number> {
  // --view all-users: capture the merged read (what every uid may view) as the keys file.
  let mergedKeys: Buffer | null = null;
  let answers: KeyAnswer[] | undefined;
  let keyrings: KeyringMembers[] = [];
  if (opts.view === 'all-users') {
    const read = await snapshotFor(opts.procfs, 'all-users', io, { render: true });
    if (read === null) return EXIT.usage;
    mergedKeys = read.keysBytes ?? null;
    const trust = read.snapshot.trustKeyrings;
    answers = read.answers === undefined ? undefined : [...read.answers, ...(trust?.described ?? [])];
    keyrings = trust?.keyrings ?? [];
  }
  try {
    const existing = await readdir(opts.outDir).catch(() => [] as string[]);
    if (existing.length > 0) {
      io.stderr(`keyring-exporter: capture: ${opts.outDir} is not empty; choose a new folder\n`);
      return EXIT.usage;
    }
    await mkdir(join(opts.outDir, 'sys/kernel/keys'), { recursive: true });
  } catch (err) {
    io.stderr(`keyring-exporter: capture: ${opts.outDir}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  let copied = 0;
  for (const rel of CAPTURED_FILES) {
    const from = join(opts.procfs, rel);
    try {
      // Not copyFile(): procfs files report size 0, and copy_file_range() would copy nothing.
      const bytes = rel === 'keys' && mergedKeys !== null ? mergedKeys : await readFile(from);
      await writeFile(join(opts.outDir, rel), bytes);
      copied++;
      // The kernel's answers about the very read copied, so that an offline audit of the folder is as exact as a live one.
      if (rel === 'keys' && answers === undefined && isLiveProc(opts.procfs)) {
        const asked = await askKernel(bytes.toString('latin1'));
        if (asked.answers !== undefined) [answers, keyrings] = [asked.answers, asked.keyrings ?? []];
        else io.stderr(`keyring-exporter: capture: cannot ask the kernel to confirm ${from} (${asked.error ?? 'unknown'}): the capture's records will read as unconfirmed\n`);
      }
    } catch (err) {
      io.stderr(`keyring-exporter: capture: ${from}: ${(err as Error).message} (left out)\n`);
    }
  }
  if (answers !== undefined) {
    const meta = { host: hostname(), kernelRelease: release(), time: new Date(io.clock() * 1000).toISOString(), view: opts.view, toolVersion: packageVersion() };
    await writeKernelAnswers(opts.outDir, meta, answers, keyrings);
  }
  io.stdout(`captured ${copied} of ${CAPTURED_FILES.length} files into ${opts.outDir}; read them with --path.procfs ${opts.outDir}\n`);
  return copied === 0 ? EXIT.unreadable : EXIT.ok;
}
