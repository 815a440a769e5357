/**
 * Read /proc/keys as another uid, and ask the kernel about every serial it lists as that uid (`--view all-users`).
 *
 * /proc/keys and KEYCTL_DESCRIBE show only what the asking credentials may view, and root has no exception, so
 * a key whose perm gives root no view is seen and described only by a process of its owner. The read and the
 * questions are made by one child process (read-keys-child.ts), so that the answers are about the same read.
 *
 * The child runs with the uid and gid as its effective ids (the kernel checks a key's view permission against
 * them), without supplementary groups, and with root as its real ids (setpriv --euid/--egid): a process the uid
 * could ptrace or write the memory of could answer for any key, so it must not be the uid's own. Exec with
 * differing real and effective ids leaves it non-dumpable, and ptrace(2) and /proc/PID/mem are then root's only
 * (kernel/ptrace.c __ptrace_may_access()).
 *
 * The child is the compiled script beside this one; run from the TypeScript sources (the tests), the build of
 * the repository is used. Every uid must be able to read it, and koffi.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyAnswer } from '../parser/key-answer.js';
import { checkAnswer } from './kernel-answers-file.js';

export interface KeysReadAs {
  /** The file's bytes, as the uid read them. */
  bytes: Buffer;
  /** The kernel's answer, asked as the uid, for each distinct serial of a record-like line of `bytes`. */
  answers: KeyAnswer[];
  /** Why the child could not ask the kernel (then `answers` is empty). */
  bridgeError?: string;
}

/**
 * The serial of every line that starts like a record (8 lowercase hex digits and a space), each once, in
 * order. Serials no key can have (0, and past 2^31-1, which keyctl(2) would read as the caller's own keyrings)
 * are left out: such a line names no key.
 */
export function listedSerials(bytes: Buffer): number[] {
  const seen = new Set<number>();
  for (let at = 0; at < bytes.length; ) {
    const serial = serialAt(bytes, at);
    if (serial >= 1 && serial <= 0x7fffffff) seen.add(serial);
    const nl = bytes.indexOf(0x0a, at);
    if (nl < 0) break;
    at = nl + 1;
  }
  return [...seen];
}

/** The 8 lowercase hex digits and space at `at`, as a number, else -1. */
function serialAt(bytes: Buffer, at: number): number {
  if (bytes[at + 8] !== 0x20) return -1;
  let serial = 0;
  for (let i = at; i < at + 8; i++) {
    const c = bytes[i] as number;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    serial = serial * 16 + digit;
  }
  return serial;
}

/** The child's script: beside this file when built, else in the repository's build. */
function childScript(): string {
  const beside = fileURLToPath(new URL('./read-keys-child.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../dist/src/procfs/read-keys-child.js', import.meta.url));
}

/** setpriv(1) of util-linux, where Debian installs it. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * Start `argv` with `uid` and `gid` as its effective ids and root as its real ids, without supplementary groups,
 * and without an environment: nothing the exporter was started with (NODE_OPTIONS) reaches it.
 */
export function spawnAsReader(uid: number, gid: number, argv: string[]): ChildProcessWithoutNullStreams {
  if (SETPRIV === undefined) throw new Error('--view all-users needs setpriv(1) (util-linux) in /usr/bin or /bin');
  return spawn(SETPRIV, [`--euid=${uid}`, `--egid=${gid}`, '--clear-groups', '--', ...argv], { cwd: '/', env: {}, stdio: 'pipe' });
}

/** Read `procKeysPath` and describe its serials as `uid`:`gid`; rejects with the child's reason when it fails. */
export function readKeysAs(procKeysPath: string, uid: number, gid: number): Promise<KeysReadAs> {
  return new Promise((resolve, reject) => {
    const child = spawnAsReader(uid, gid, [process.execPath, childScript(), procKeysPath]);
    child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const text = Buffer.concat(err).toString('utf8').trim();
        // Node's own failures (a script it cannot read) come with a stack: their Error line says it.
        const line = /^\w*Error\b.*$/m.exec(text)?.[0] ?? text;
        reject(new Error(line || `the child reading ${procKeysPath} as uid ${uid} ended with ${signal ?? `exit code ${code}`}`));
        return;
      }
      const read = parseChildOutput(Buffer.concat(out).toString('utf8'));
      if (typeof read === 'string') reject(new Error(`the child reading ${procKeysPath} as uid ${uid} said nothing usable: ${read}`));
      else resolve(read);
    });
  });
}

/** The child's JSON, checked: a KeysReadAs, or what is wrong with it. */
function parseChildOutput(text: string): KeysReadAs | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `not JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  if (typeof doc !== 'object' || doc === null) return 'not an object';
  const { bytes, answers, bridgeError } = doc as Record<string, unknown>;
  if (typeof bytes !== 'string') return 'bytes: not a string';
  if (!Array.isArray(answers)) return 'answers: not an array';
  const checked: KeyAnswer[] = [];
  for (let i = 0; i < answers.length; i++) {
    const a = checkAnswer(answers[i]);
    if (typeof a === 'string') return `answers[${i}]${a}`;
    checked.push(a);
  }
  const read: KeysReadAs = { bytes: Buffer.from(bytes, 'base64'), answers: checked };
  if (typeof bridgeError === 'string') read.bridgeError = bridgeError;
  return read;
}
