/** The thread of basic-auth.ts: compares a password with a bcrypt hash, one request at a time, off the event loop. */
import bcrypt from 'bcryptjs';
import { parentPort } from 'node:worker_threads';

export interface CompareRequest {
  id: number;
  password: string;
  hash: string;
}

export interface CompareReply {
  id: number;
  ok: boolean;
}

const port = parentPort;
if (port === null) throw new Error('bcrypt-worker.js runs as a worker thread');
port.on('message', ({ id, password, hash }: CompareRequest) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(password, hash);
  } catch {
    // a hash bcryptjs cannot read matches no password
  }
  port.postMessage({ id, ok } satisfies CompareReply);
});
