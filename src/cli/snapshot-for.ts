/** The snapshot a command asked for: the reader's own view, or every uid's (--view all-users, root only). */
import type { Snapshot } from '../parser/snapshot.js';
import type { KeyAnswer } from '../parser/key-answer.js';
import { maySwitchUids, readAllUsersSnapshot, ViewError, type ViewCoverage } from '../procfs/read-all-users.js';
import { readSnapshot } from '../procfs/read-proc-files.js';
import type { CliIo } from './io.js';
import type { ScrapeView, View } from './views.js';


/** The view `auto` stands for here, and why. */
export async function resolveView(view: ScrapeView, procfs: string): Promise<{ view: View; why: string }> {
  if (view !== 'auto') return { view, why: 'asked for' };
  const may = await maySwitchUids(procfs);
  return { view: may.may ? 'all-users' : 'self', why: may.why };
}

/** null (after saying why) when the view cannot be had. */
export async function snapshotFor(
  procfs: string,
  asked: ScrapeView,
  io: CliIo,
  /** At most this many other uids are read as (metrics: --collector.users.max-uids); `render`: for a capture. */
  opts: { maxUids?: number; render?: boolean } = {},
): Promise<{ snapshot: Snapshot; coverage?: ViewCoverage; keysBytes?: Buffer; answers?: KeyAnswer[] } | null> {
  const { view } = await resolveView(asked, procfs);
  if (view === 'self') return { snapshot: await readSnapshot(procfs, io.clock) };
  try {
    const r = await readAllUsersSnapshot(procfs, io.clock, opts);
    for (const f of r.coverage.failed) io.stderr(`keyring-exporter: could not read /proc/keys as uid ${f.uid}: ${f.error}\n`);
    return r;
  } catch (err) {
    if (err instanceof ViewError && asked === 'auto') {
      io.stderr(`keyring-exporter: --view auto: ${err.message}; reading what this process may view\n`);
      return { snapshot: await readSnapshot(procfs, io.clock) };
    }
    if (err instanceof ViewError) {
      io.stderr(`keyring-exporter: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}
