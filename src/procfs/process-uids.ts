/**
 * Which of some uids run no process: a uid that owns keys (/proc/key-users) but runs nothing has left them
 * behind (issue 24: secrets left after logout). /proc/PID is owned by the process's effective uid
 * (fs/proc/base.c task_dump_owner(); root for a process that is not dumpable), so a stat of each is enough, and
 * the scan stops once every uid asked about is found. Only a live procfs has processes to ask.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function uidsWithoutProcess(procRoot: string, uids: readonly number[]): number[] {
  const missing = new Set(uids);
  if (missing.size === 0) return [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return [];
  }
  for (const name of entries) {
    if (missing.size === 0) break;
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    try {
      missing.delete(statSync(join(procRoot, name)).uid);
    } catch {
      // the process ended meanwhile
    }
  }
  return [...missing].sort((a, b) => a - b);
}
