/**
 * The only module that reads the keys files. `procRoot` is /proc on a live host, or a folder laid out like it
 * (a capture, a fixture): DIR/keys, DIR/key-users, DIR/sys/kernel/keys/*.
 * Each file is read once, as bytes (latin1), and a failure is a status, never an exception.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYS_SYSCTLS, type KeysSysctl } from '../parser/keys-sysctl.js';
import { buildSnapshot, type FileRead, type RawProcFiles, type Snapshot } from '../parser/snapshot.js';
import type { ByteSource } from '../parser/byte-source.js';

/**
 * Bytes read from a file, for the parser to scan, and the same content as one latin1 string, from which the
 * strings a record keeps are cut (a JavaScript slice is far cheaper than a Buffer#toString call per string).
 */
export function bufferSource(buf: Buffer): ByteSource {
  const text = buf.toString('latin1');
  return { bytes: buf, latin1: (start, end) => text.slice(start, end) };
}

export async function readProcFile(path: string, asBytes = false): Promise<FileRead> {
  try {
    const buf = await readFile(path);
    // /proc/keys is handed over as bytes with Node's native latin1 copy (parser/byte-source.ts).
    if (asBytes) return { path, status: 'ok', source: bufferSource(buf) };
    return { path, status: 'ok', text: buf.toString('latin1') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = e.code ?? 'EIO';
    const status = code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : code === 'EACCES' || code === 'EPERM' ? 'denied' : 'failed';
    return { path, status, error: e.message.startsWith(code) ? e.message : `${code}: ${e.message}` };
  }
}

export async function readProcFiles(procRoot: string): Promise<RawProcFiles> {
  // /proc/key-users before and after /proc/keys: the files are not one atomic snapshot, and a uid whose
  // counters moved in between cannot be checked against what /proc/keys showed (parser/snapshot.ts).
  const keyUsers = await readProcFile(join(procRoot, 'key-users'));
  const keys = await readProcFile(join(procRoot, 'keys'), true);
  const keyUsersAfter = keyUsers.status === 'ok' ? await readProcFile(join(procRoot, 'key-users')) : undefined;
  const entries = await Promise.all(
    KEYS_SYSCTLS.map(async (name) => [name, await readProcFile(join(procRoot, 'sys/kernel/keys', name))] as const),
  );
  const sysctls = Object.fromEntries(entries) as Record<KeysSysctl, FileRead>;
  const overflowGid = await readProcFile(join(procRoot, 'sys/kernel/overflowgid'));
  return { keys, keyUsers, ...(keyUsersAfter !== undefined ? { keyUsersAfter } : {}), sysctls, overflowGid };
}

export async function readSnapshot(procRoot: string, clock: () => number = () => Date.now() / 1000): Promise<Snapshot> {
  const raw = await readProcFiles(procRoot);
  return buildSnapshot(raw, Math.floor(clock()));
}
