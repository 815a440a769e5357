/**
 * What a keyring holds, from the kernel (src/procfs/keyring-contents.ts): a keyring made here with X.509
 * certificates made with openssl and added as the kernel adds its trusted ones, beside a key of another type
 * and a nested keyring; and this machine's own trusted keyrings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { loadKeyctl, type Keyctl } from '../../src/procfs/keyctl.js';
import { keyringContents } from '../../src/procfs/keyring-contents.js';
import { CERTIFICATE_FUNCTIONS } from '../helpers/certificates.js';
import { holdSession } from '../helpers/held-session.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { uniqueName } from '../helpers/run-bin.js';

async function bridge(): Promise<Keyctl> {
  const k = await loadKeyctl();
  if ('error' in k) throw new Error(k.error);
  return k;
}

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('openssl')]);

describe('keyringContents', () => {
  live('gives each member as the kernel describes it, a certificate with its subject and SKID as openssl reads them', async () => {
    const name = uniqueName('contents');
    const script = [
      CERTIFICATE_FUNCTIONS,
      'cert "$1-a" "/CN=$1-a" && cert "$1-b" "/CN=$1-b"',
      'r=$(keyctl newring "$1" @s) && keyctl setperm $r 0x3f0b0000',
      'a=$(keyctl padd asymmetric "" $r < "$d/$1-a") && b=$(keyctl padd asymmetric "" $r < "$d/$1-b")',
      'n=$(keyctl newring "$1-nested" $r) && u=$(keyctl add user "$1-u" secret $r)',
      'echo $r; echo $a; echo $b; echo $n; echo $u; skid "$1-a"; skid "$1-b"',
    ].join('\n');
    const s = await holdSession(script, [name]);
    try {
      const [ring, a, b, nested, user, skidA, skidB] = s.lines.map((l, i) => (i < 5 ? Number(l) : l)) as [number, number, number, number, number, string, string];
      const got = keyringContents(await bridge(), ring);
      if (got.errno !== null) throw new Error(`keyringContents: ${got.errno}`);
      const bySerial = new Map(got.members.map((m) => [m.serial, m]));
      expect([...bySerial.keys()].sort()).toEqual([a, b, nested, user].sort());
      expect(bySerial.get(a)).toMatchObject({ answer: { errno: null, type: 'asymmetric', uid: 0 }, x509: { subject: `${name}-a`, keyId: skidA } });
      expect(bySerial.get(b)?.x509).toEqual({ subject: `${name}-b`, keyId: skidB });
      expect(bySerial.get(nested)).toMatchObject({ answer: { errno: null, type: 'keyring', description: `${name}-nested` }, x509: null });
      // A user key is described, never read: its payload appears nowhere.
      expect(bySerial.get(user)).toMatchObject({ answer: { errno: null, type: 'user' }, x509: null });
      expect(JSON.stringify(got)).not.toContain('secret');
    } finally {
      await s.end();
    }
  });

  live("reads this machine's trusted keyrings, empty or not, as the kernel lists them", async () => {
    const keyctl = await bridge();
    const lines = readFileSync('/proc/keys', 'latin1').split('\n');
    const trusted = lines.filter((l) => / keyring +\.(?:builtin_trusted_keys|secondary_trusted_keys|machine|platform|blacklist): /.test(l));
    expect(trusted.length).toBeGreaterThan(0);
    for (const line of trusted) {
      const serial = Number.parseInt(line.slice(0, 8), 16);
      const got = keyringContents(keyctl, serial);
      if (got.errno !== null) throw new Error(`${line}: ${got.errno}`);
      // /proc/keys prints a keyring's links: "empty", or their number.
      const links = / keyring +[^:]+: (empty|\d+)$/.exec(line)?.[1];
      expect(got.members.length).toBe(links === 'empty' ? 0 : Number(links));
      for (const m of got.members) expect(m.answer.errno === null ? m.answer.type : m.answer.errno).not.toBe('user');
    }
  });
});
