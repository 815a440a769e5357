/**
 * Basic authentication against the bcrypt hashes of --web.config.file's basic_auth_users, as exporter-toolkit
 * checks it. bcrypt is slow on purpose (tens of ms at cost 10): the comparisons run on a thread of their own
 * (bcrypt-worker.ts), one at a time, so that a flood of wrong passwords queues there and never stalls the event
 * loop (the probes, scrapes with good credentials, the exporter's own work). A successful check is remembered
 * (by user, a SHA-256 of the password and the hash), as exporter-toolkit remembers it, so a scraper pays bcrypt
 * once. How many checks wait at once is bounded by the request limit, which app.ts applies first.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../procfs/start-worker.js';
import type { CompareReply, CompareRequest } from './bcrypt-worker.js';

/** Compared with the password of a user that does not exist: the answer takes as long as for one that does. */
const UNKNOWN_USER_HASH = `$2y$10$${'.'.repeat(53)}`;

/** At most this many successful checks are remembered; then the memory starts again. */
const REMEMBERED = 1000;

export type BasicAuth = (users: ReadonlyMap<string, string>, header: string | undefined) => Promise<boolean>;

export function createBasicAuth(): BasicAuth {
  const verified = new Set<string>();
  let worker: Worker | null = null;
  const pending = new Map<number, (ok: boolean) => void>();
  let nextId = 1;
  const compare = (password: string, hash: string): Promise<boolean> => {
    if (worker === null) {
      const w = startWorker('bcrypt-worker.js', import.meta.url);
      w.on('message', (r: CompareReply) => {
        pending.get(r.id)?.(r.ok);
        pending.delete(r.id);
        if (pending.size === 0) w.unref();
      });
      // A thread that died answers no to what it was asked; the next check starts another.
      const fail = (): void => {
        if (worker === w) worker = null;
        for (const done of pending.values()) done(false);
        pending.clear();
      };
      w.on('error', fail);
      w.on('exit', fail);
      worker = w;
    }
    const w = worker;
    const id = nextId++;
    return new Promise<boolean>((resolve) => {
      pending.set(id, resolve);
      w.ref();
      w.postMessage({ id, password, hash } satisfies CompareRequest);
    });
  };
  return async (users, header) => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '');
    if (m === null) return false;
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = users.get(user);
    if (hash === undefined) {
      await compare(password, UNKNOWN_USER_HASH);
      return false;
    }
    const key = `${user}\u0000${createHash('sha256').update(password).digest('hex')}\u0000${hash}`;
    if (verified.has(key)) return true;
    if (!(await compare(password, hash))) return false;
    if (verified.size >= REMEMBERED) verified.clear();
    verified.add(key);
    return true;
  };
}
