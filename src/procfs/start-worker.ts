/** The reader threads' start (read-keys-as.ts, stream-read.ts): one of procfs's worker scripts, on a thread of its own. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start the worker script `file` of this folder: beside this module when built, else in the repository's build
 * (the tests run the sources). Neither the process's environment nor its node options: the thread runs that
 * module and nothing else. It does not keep the process alive until ref()'d.
 */
export function startWorker(file: string): Worker {
  const beside = fileURLToPath(new URL(`./${file}`, import.meta.url));
  const script = existsSync(beside) ? beside : fileURLToPath(new URL(`../../dist/src/procfs/${file}`, import.meta.url));
  const w = new Worker(script, { env: {}, execArgv: [], stdout: false, stderr: false });
  w.unref();
  return w;
}
