/**
 * The keyctl(2) bridge (src/procfs/keyctl.ts) against the real kernel: keys are made in throwaway sessions
 * that stay alive while this process asks about them, then are cleared and end. This process does not possess
 * them, so it views them as their owner (root) or not at all, as the exporter does.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeFailure, loadKeyctl, type Keyctl } from '../../src/procfs/keyctl.js';
import type { KeyAnswer } from '../../src/parser/key-answer.js';
import { x509Identity } from '../../src/parser/x509-identity.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';
import { runtimeRoot } from '../helpers/runtime-copy.js';
import { CERTIFICATE_FUNCTIONS } from '../helpers/certificates.js';
import { holdSession } from '../helpers/held-session.js';

const live = itWith([isRoot(), hasCommand('keyctl')]);
const liveAs = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv')]);

async function bridge(): Promise<Keyctl> {
  const k = await loadKeyctl();
  if ('error' in k) throw new Error(k.error);
  return k;
}

/** The answer as keyctl rdescribe prints it. */
function rdescribeOf(a: KeyAnswer): string {
  if (a.errno !== null) return `error ${a.errno}`;
  return `${a.type};${a.uid};${a.gid};${a.perm.toString(16).padStart(8, '0')};${a.description}\n`;
}

describe('the keyctl(2) bridge', () => {
  it('loads once per process', async () => {
    const a = loadKeyctl();
    expect(loadKeyctl()).toBe(a);
    expect(await a).not.toHaveProperty('error');
  });

  it('says ENOKEY for a serial the kernel never hands out', async () => {
    // key_alloc_serial() skips 0 to 2, so no key has them (and any uid may ask).
    expect((await bridge()).describe(1)).toEqual({ serial: 1, errno: 'ENOKEY' });
    expect((await bridge()).describe(2)).toEqual({ serial: 2, errno: 'ENOKEY' });
  });

  it('says ENOKEY for a serial no key can have, without asking (0xfffffffd would be read as -3, @s)', async () => {
    for (const serial of [0, 0xfffffffd, 0xffffffff, 2 ** 31, -3, 1.5])
      expect((await bridge()).describe(serial)).toEqual({ serial, errno: 'ENOKEY' });
  });

  live('describes a user key byte for byte: newline, ESC, ";" and a byte past ASCII kept', async () => {
    const name = uniqueName('kctl');
    const description = `${name};a;b\nsecond line\x1b[31m;red`;
    const s = await holdSession(`keyctl add user "$1$(printf '\\351')" secret @s`, [description]);
    try {
      const serial = Number(s.lines[0]);
      const a = (await bridge()).describe(serial);
      expect(a).toEqual({ serial, errno: null, type: 'user', uid: 0, gid: 0, perm: 0x3f010000, description: `${description}\xe9` });
      const r = sh(`keyctl rdescribe ${serial}`);
      expect(r.status, r.stderr).toBe(0);
      expect(rdescribeOf(a)).toBe(r.stdout);
    } finally {
      await s.end();
    }
  });

  live('describes a keyring, and a description of the longest length (4095 bytes)', async () => {
    const name = uniqueName('kctl-ring');
    const long = name + 'x'.repeat(4095 - name.length);
    const s = await holdSession('keyctl newring "$1" @s && keyctl add user "$2" v @s', [name, long]);
    try {
      const [ring, key] = s.lines.map(Number) as [number, number];
      const k = await bridge();
      expect(k.describe(ring)).toMatchObject({ serial: ring, errno: null, type: 'keyring', uid: 0, description: name });
      expect(rdescribeOf(k.describe(ring))).toBe(sh(`keyctl rdescribe ${ring}`).stdout);
      expect(k.describe(key)).toMatchObject({ serial: key, errno: null, type: 'user', description: long });
    } finally {
      await s.end();
    }
  });

  live('says EKEYREVOKED for a revoked key and EKEYEXPIRED for an expired one', async () => {
    const name = uniqueName('kctl-dead');
    const s = await holdSession('r=$(keyctl add user "$1-r" v @s) && keyctl revoke $r && echo $r && t=$(keyctl add user "$1-t" v @s) && keyctl timeout $t 1 && echo $t', [name]);
    try {
      const [revoked, expiring] = s.lines.map(Number) as [number, number];
      const k = await bridge();
      expect(k.describe(revoked)).toEqual({ serial: revoked, errno: 'EKEYREVOKED' });
      await new Promise((r) => setTimeout(r, 2_000));
      expect(k.describe(expiring)).toEqual({ serial: expiring, errno: 'EKEYEXPIRED' });
    } finally {
      await s.end();
    }
  });

  liveAs('says EACCES for a key, and for the members of a keyring, of another uid that gives root no view', async () => {
    const uid = 41900 + (process.pid % 50);
    const script = 'k=$(keyctl add user "$1" v @s) && r=$(keyctl newring "$1-ring" @s) && keyctl setperm $k 0x3f010000 && keyctl setperm $r 0x3f010000 && echo $k && echo $r';
    const s = await holdSession(script, [uniqueName('kctl-other')], ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups']);
    try {
      const [key, ring] = s.lines.map(Number) as [number, number];
      expect((await bridge()).describe(key)).toEqual({ serial: key, errno: 'EACCES' });
      expect((await bridge()).members(ring)).toEqual({ serial: ring, errno: 'EACCES' });
    } finally {
      await s.end();
    }
  });
});

describe('keyring members (KEYCTL_READ)', () => {
  itWith([isRoot(), hasCommand('keyctl'), hasCommand('openssl')])('lists a keyring\'s links as keyctl does, an X.509 certificate among them, and reads no other key', async () => {
    const name = uniqueName('kctl-ring');
    // A certificate made here, added as the kernel's trusted keyrings hold theirs (keyctl padd asymmetric).
    const script = [
      CERTIFICATE_FUNCTIONS,
      'cert c "/CN=$1 CA/O=Test"',
      // Read and search for its owner, as the kernel's own keyrings give (.builtin_trusted_keys: 1f0b0000).
      'r=$(keyctl newring "$1" @s) && keyctl setperm $r 0x3f0b0000 && c=$(keyctl padd asymmetric "" $r < "$d/c") && u=$(keyctl add user "$1-u" secret-payload $r)',
      'echo $r; echo $c; echo $u; keyctl rlist $r',
      'skid c',
    ].join('\n');
    const s = await holdSession(script, [name]);
    try {
      const [ring, cert, user, listed, skid] = s.lines as [string, string, string, string, string];
      const k = await bridge();
      const m = k.members(Number(ring));
      expect(m).toEqual({ serial: Number(ring), errno: null, members: listed.trim().split(/\s+/).map(Number) });
      expect([...(m.errno === null ? m.members : [])].sort()).toEqual([Number(cert), Number(user)].sort());
      // Only keyrings are read: a user key's payload is its owner's, and an asymmetric key is no keyring either.
      expect(k.members(Number(user))).toEqual({ serial: Number(user), errno: 'ENOTDIR' });
      expect(k.members(Number(cert))).toEqual({ serial: Number(cert), errno: 'ENOTDIR' });
      expect(k.members(1)).toEqual({ serial: 1, errno: 'ENOKEY' });
      const a = k.describe(Number(cert));
      expect(a).toMatchObject({ type: 'asymmetric', uid: 0 });
      // The kernel names the certificate by its subject and its Subject Key Identifier, as openssl reads them.
      expect(x509Identity(a.errno === null ? a.description : '')).toEqual({ subject: `Test: ${name} CA`, keyId: skid });
    } finally {
      await s.end();
    }
  });
});

/**
 * A Node process that puts itself under a seccomp filter making keyctl(2) fail with EPERM, as container
 * runtimes' default profiles do, then runs `body` (an ES module body; `built(path)` imports from the build).
 */
function underSeccomp(body: string): { status: number | null; stdout: string; stderr: string } {
  const url = (p: string): string => JSON.stringify(pathToFileURL(join(runtimeRoot(), p)).href);
  const script = `
    const koffi = (await import(${url('node_modules/koffi/index.js')})).default;
    const built = (p) => import(${url('dist/src/procfs/')} + p);
    const prctl = koffi.load('libc.so.6').func('int prctl(int, ...)');
    const SockFilter = koffi.struct('sock_filter', { code: 'uint16', jt: 'uint8', jf: 'uint8', k: 'uint32' });
    const SockFprog = koffi.struct('sock_fprog', { len: 'uint16', filter: koffi.pointer(SockFilter) });
    const filter = [
      { code: 0x20, jt: 0, jf: 0, k: 0 }, // load the syscall number
      { code: 0x15, jt: 0, jf: 1, k: ${process.arch === 'arm64' ? 219 : 250} }, // keyctl?
      { code: 0x06, jt: 0, jf: 0, k: 0x00050001 }, // SECCOMP_RET_ERRNO | EPERM
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }, // SECCOMP_RET_ALLOW
    ];
    if (prctl(38 /* PR_SET_NO_NEW_PRIVS */, 'long', 1, 'long', 0, 'long', 0, 'long', 0) !== 0) throw new Error('PR_SET_NO_NEW_PRIVS');
    if (prctl(22 /* PR_SET_SECCOMP */, 'long', 2, 'sock_fprog *', { len: filter.length, filter }) !== 0) throw new Error('PR_SET_SECCOMP');
    ${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
}

describe('under a seccomp filter that blocks keyctl(2)', () => {
  it('the bridge does not load, and says why', () => {
    const r = underSeccomp(`console.log(JSON.stringify(await (await built('keyctl.js')).loadKeyctl()));`);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      error: 'keyctl(2) bridge: keyctl(2) is refused (EPERM): a seccomp filter blocks it, or the kernel has no keys',
    });
  });

  live("readKeysAs's child (which inherits the filter) still returns the file, with bridgeError and no answers", () => {
    const r = underSeccomp(`
      const read = await (await built('read-keys-as.js')).readKeysAs('/proc/keys', 0, 0);
      console.log(JSON.stringify({ bytes: read.bytes.toString('latin1'), answers: read.answers, bridgeError: read.bridgeError }));`);
    expect(r.status, r.stderr).toBe(0);
    const read = JSON.parse(r.stdout);
    expect(read.bytes).toMatch(/^[0-9a-f]{8} /);
    expect(read.answers).toEqual([]);
    expect(read.bridgeError).toMatch(/keyctl\(2\) is refused \(EPERM\)/);
  });
});

describe('describeFailure', () => {
  it.each([
    ['ENOKEY', 'no such key, or it was invalidated'],
    ['EKEYEXPIRED', 'the key has expired (the kernel describes no dead key)'],
    ['EKEYREVOKED', 'the key was revoked (the kernel describes no dead key)'],
    ['EACCES', 'the key is not viewable by the reader'],
    ['E200', 'keyctl(KEYCTL_DESCRIBE) failed with E200'],
  ])('%s', (errno, meaning) => expect(describeFailure({ serial: 5, errno })).toBe(meaning));
});
