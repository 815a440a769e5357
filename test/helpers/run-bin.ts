import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/keyring-exporter', import.meta.url));

/** Run a shell script (with $BIN set) and return its result; output is decoded as latin1 to keep bytes. */
export function sh(script: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', script], { encoding: 'latin1', env: { ...process.env, BIN, ...env }, timeout: 60_000 });
}

/** A name unique to this test run, so parallel tests on one kernel never meet. */
export function uniqueName(prefix: string): string {
  return `kre-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
