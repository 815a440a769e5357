/**
 * A bridge to keyctl(2), for asking the kernel what it holds under a serial that /proc/keys lists.
 *
 * KEYCTL_DESCRIBE is answered by keyctl_describe_key() in security/keys/keyctl.c: it looks the serial up with
 * the caller's credentials (key_validate() refuses a dead key, key_task_permission() a key the caller may not
 * view) and copies "%s;%d;%d;%08x;%s" of type, uid, gid, perm and description, NUL-terminated, when the buffer
 * holds all of it; it returns the full length either way. Unlike a /proc/keys line, the answer cannot be forged
 * by a description, and it carries the type's full name.
 *
 * Node has no keyctl, so the call goes through koffi to libc's syscall(). Loading fails where koffi has no
 * prebuilt binary, and where a seccomp filter makes keyctl(2) fail (one asked question tells): the exporter then
 * reads the text alone, so every failure here is a value, never an exception. A filter whose action is to kill
 * the process (systemd's SystemCallFilter= without SystemCallErrorNumber=) cannot be told from here.
 */
import { constants } from 'node:os';
import type { KeyAnswer, KeyRefused, KeyringMembers } from '../parser/key-answer.js';

export interface Keyctl {
  /** What the kernel says about `serial`, asked with this process's credentials ('EPROTO': an answer not in its format). */
  describe(serial: number): KeyAnswer;
  /**
   * The serials a keyring links, in the kernel's order (KEYCTL_READ), or why not: 'ENOTDIR' when `serial` is
   * not a keyring. Never reads anything but a keyring: the payload of any other key is its owner's secret.
   */
  members(serial: number): KeyringMembers;
}

export type { KeyringMembers };

/** The keyctl syscall's number on the architectures the exporter ships for. */
const KEYCTL_SYSCALL: Readonly<Record<string, number>> = { x64: 250, arm64: 219 };
const KEYCTL_DESCRIBE = 6;
const KEYCTL_READ = 11;
/** A description is at most 4095 bytes; type;uid;gid;perm; and the NUL fit in the rest. */
const INITIAL_BUFFER = 4200;

let loaded: Promise<Keyctl | { error: string }> | undefined;

/** The bridge, loaded once per process; `{ error }` says why it cannot be had here. */
export function loadKeyctl(): Promise<Keyctl | { error: string }> {
  loaded ??= load();
  return loaded;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
}

async function load(): Promise<Keyctl | { error: string }> {
  const nr = KEYCTL_SYSCALL[process.arch];
  if (nr === undefined) return { error: `keyctl(2) bridge: unsupported architecture ${process.arch}` };
  let koffi: typeof import('koffi').default;
  try {
    const mod = await import('koffi');
    koffi = mod.default;
  } catch (e) {
    return { error: `keyctl(2) bridge: the koffi module could not be loaded (${messageOf(e)})` };
  }
  let syscall: (...args: unknown[]) => unknown;
  try {
    syscall = koffi.load('libc.so.6').func('long syscall(long, ...)');
  } catch (e) {
    return { error: `keyctl(2) bridge: libc.so.6 or its syscall() could not be loaded (${messageOf(e)})` };
  }
  const keyctl = new Describer(nr, syscall, () => koffi.errno(), errnoNames(koffi.os.errno));
  // No key has serial 1: a kernel that lets us ask says ENOKEY. Container runtimes' default seccomp profiles
  // make keyctl(2) fail with EPERM instead; a kernel without CONFIG_KEYS says ENOSYS.
  const probe = keyctl.describe(1);
  if (probe.errno !== 'ENOKEY')
    return { error: `keyctl(2) bridge: keyctl(2) is refused (${String(probe.errno)}): a seccomp filter blocks it, or the kernel has no keys` };
  return keyctl;
}

/** Errno numbers to names: the platform's (koffi's table has ENOKEY and EKEY*, Node's has not), then Node's. */
function errnoNames(platform: Record<string, number>): Map<number, string> {
  const names = new Map<number, string>();
  for (const table of [platform, constants.errno as Record<string, number>])
    for (const [name, n] of Object.entries(table)) if (!names.has(n)) names.set(n, name);
  return names;
}

/** "type;uid;gid;perm;" as the kernel prints it; the description follows the fourth ';'. */
const HEADER = /^([^;]*);(-?\d+);(-?\d+);([0-9a-f]{8});$/;

class Describer implements Keyctl {
  private buf = Buffer.alloc(INITIAL_BUFFER);

  constructor(
    private readonly nr: number,
    private readonly syscall: (...args: unknown[]) => unknown,
    private readonly errno: () => number,
    private readonly names: Map<number, string>,
  ) {}

  describe(serial: number): KeyAnswer {
    // No key has a serial outside 1..2^31-1 (key_alloc_serial()), and the kernel would read 0xfffffffd as -3,
    // the caller's own session keyring: a line naming such a serial names no key.
    if (!Number.isInteger(serial) || serial < 1 || serial > 0x7fffffff) return { serial, errno: 'ENOKEY' };
    let n = this.call(serial);
    // The answer did not fit (the kernel then copies nothing): a key's description never changes, so the
    // call made again with the length it asked for fits.
    while (n > this.buf.length) {
      this.buf = Buffer.alloc(n);
      n = this.call(serial);
    }
    if (n < 0) {
      const e = this.errno();
      return { serial, errno: this.names.get(e) ?? `E${e}` };
    }
    return this.parse(serial, n);
  }

  members(serial: number): KeyringMembers {
    const before = this.describe(serial);
    if (before.errno !== null) return before;
    if (before.type !== 'keyring') return { serial, errno: 'ENOTDIR' };
    let n = this.call(serial, KEYCTL_READ);
    // Links added meanwhile: the kernel copies nothing then, and says how much it needs now.
    while (n > this.buf.length) {
      this.buf = Buffer.alloc(n);
      n = this.call(serial, KEYCTL_READ);
    }
    if (n < 0) {
      const e = this.errno();
      return { serial, errno: this.names.get(e) ?? `E${e}` };
    }
    const members: number[] = [];
    // key_serial_t in the machine's order: both architectures the bridge loads on (x64, arm64) are little-endian.
    for (let at = 0; at + 4 <= n; at += 4) members.push(this.buf.readInt32LE(at));
    // The same keyring still: a serial is never handed out again while its key lives, so only a keyring deleted
    // between the two questions, and its serial given to another key, could have answered the read.
    const after = this.describe(serial);
    if (after.errno !== null) return after;
    if (after.type !== 'keyring' || after.uid !== before.uid || after.description !== before.description) return { serial, errno: 'ESTALE' };
    return { serial, errno: null, members };
  }

  private call(serial: number, op = KEYCTL_DESCRIBE): number {
    // Every argument as a long: glibc's syscall() reads each variadic argument with va_arg(long).
    return Number(this.syscall(this.nr, 'long', op, 'long', serial, 'void *', this.buf, 'unsigned long', this.buf.length));
  }

  private parse(serial: number, n: number): KeyAnswer {
    const buf = this.buf;
    // n counts the NUL; split on the first four ';' only: the description may hold more.
    let at = -1;
    for (let i = 0; i < 4; i++) {
      at = buf.indexOf(0x3b, at + 1);
      if (at < 0 || at >= n) return { serial, errno: 'EPROTO' };
    }
    const m = HEADER.exec(buf.toString('latin1', 0, at + 1));
    if (m === null || buf[n - 1] !== 0) return { serial, errno: 'EPROTO' };
    return {
      serial,
      errno: null,
      type: m[1] as string,
      uid: Number(m[2]),
      gid: Number(m[3]),
      perm: parseInt(m[4] as string, 16),
      description: buf.toString('latin1', at + 1, n - 1),
    };
  }
}

/** What a refusal means, in a few words. */
export function describeFailure(a: KeyRefused): string {
  switch (a.errno) {
    case 'ENOKEY':
      return 'no such key, or it was invalidated';
    case 'EKEYEXPIRED':
      return 'the key has expired (the kernel describes no dead key)';
    case 'EKEYREVOKED':
      return 'the key was revoked (the kernel describes no dead key)';
    case 'EACCES':
      return 'the key is not viewable by the reader';
    case 'EPROTO':
      return "the kernel's answer was not type;uid;gid;perm;description";
    default:
      return `keyctl(KEYCTL_DESCRIBE) failed with ${a.errno}`;
  }
}
