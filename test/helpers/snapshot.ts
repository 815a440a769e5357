import { buildSnapshot, type FileRead, type RawProcFiles, type Snapshot } from '../../src/parser/snapshot.js';
import { KEYS_SYSCTLS, type KeysSysctl } from '../../src/parser/keys-sysctl.js';

const ok = (path: string, text: string): FileRead => ({ path, status: 'ok', text });

/** A snapshot from in-memory file contents (undefined = absent). */
export function snapshotOf(
  keys: string | undefined,
  keyUsers: string | undefined,
  sysctls: Partial<Record<KeysSysctl, string>> = {},
  now = 1_800_000_000,
  keyUsersAfter?: string,
): Snapshot {
  const absent = (path: string): FileRead => ({ path, status: 'absent', error: 'ENOENT' });
  const raw: RawProcFiles = {
    keys: keys === undefined ? absent('keys') : ok('keys', keys),
    keyUsers: keyUsers === undefined ? absent('key-users') : ok('key-users', keyUsers),
    ...(keyUsersAfter !== undefined ? { keyUsersAfter: ok('key-users', keyUsersAfter) } : {}),
    sysctls: Object.fromEntries(
      KEYS_SYSCTLS.map((n) => [n, sysctls[n] === undefined ? absent(n) : ok(n, sysctls[n] as string)]),
    ) as Record<KeysSysctl, FileRead>,
  };
  return buildSnapshot(raw, now);
}
