/**
 * A worker script's start, on a thread of its own: the reader threads of procfs (read-keys-as.ts,
 * stream-read.ts) and the password checks of server/basic-auth.ts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start the worker script `file` of the folder of the module `from` (this folder by default): beside that module
 * when built, else in the repository's build (the tests run the sources). Neither the process's environment nor
 * its node options: the thread runs that module and nothing else. It does not keep the process alive until
 * ref()'d.
 */
export function startWorker(file: string, from: string = import.meta.url): Worker {
  const beside = fileURLToPath(new URL(`./${file}`, from));
  const script = existsSync(beside) ? beside : beside.replace(/\/src\/([^/]+)\/[^/]+$/, `/dist/src/$1/${file}`);
  const w = new Worker(script, { env: {}, execArgv: [], stdout: false, stderr: false });
  w.unref();
  return w;
}
