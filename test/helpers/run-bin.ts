import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { runtimeRoot } from './runtime-copy.js';

/** The exporter as the tests run it, readable by the throwaway uids they act as (helpers/runtime-copy.ts). */
export const BIN = join(runtimeRoot(), 'bin', 'keyring-exporter');

/** Run a shell script (with $BIN set) and return its result; output is decoded as latin1 to keep bytes. */
export function sh(script: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', script], { encoding: 'latin1', env: { ...process.env, BIN, ...env }, timeout: 60_000 });
}

/** A name unique to this test run, so parallel tests on one kernel never meet. */
export function uniqueName(prefix: string): string {
  return `kre-test-${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
