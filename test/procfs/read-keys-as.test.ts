/**
 * Reading /proc/keys and describing its serials as another uid (src/procfs/read-keys-as.ts). The reader thread
 * runs the compiled worker script, so the module is imported from the build the tests run the exporter from
 * (helpers/runtime-copy.ts), not from the sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listedSerials } from '../../src/procfs/read-keys-as.js';
import { loadKeyctl } from '../../src/procfs/keyctl.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { uniqueName } from '../helpers/run-bin.js';
import { runtimeRoot } from '../helpers/runtime-copy.js';
import { holdSession, type HeldSession } from '../helpers/held-session.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv')]);
const uid = 41950 + (process.pid % 50);

async function built(): Promise<typeof import('../../src/procfs/read-keys-as.js')> {
  return (await import(pathToFileURL(join(runtimeRoot(), 'dist/src/procfs/read-keys-as.js')).href)) as typeof import('../../src/procfs/read-keys-as.js');
}

/** A session of `uid` running `script` (its arguments `args`), kept alive until end(). */
function holdSessionAs(script: string, args: string[]): Promise<HeldSession> {
  return holdSession(script, args, ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups']);
}

describe('listedSerials', () => {
  it('takes the serial of every line that starts like a record, once each, and nothing else', () => {
    const text = [
      '0000002a I--Q---     1 perm 3f010000     0     0 user      k: 1',
      '3affbd6f I--Q---     1 perm 3f010000     0     0 user      multi',
      'line 0000002b not at the start',
      '0000002A upper case',
      '0000002c\tno space',
      '0000002a again',
      '00000000 no key has serial 0',
      'fffffffd would be @s',
      ' 0000002d indented',
      '7fffffff the last serial',
    ].join('\n');
    expect(listedSerials(Buffer.from(text, 'latin1'))).toEqual([0x2a, 0x3affbd6f, 0x7fffffff]);
    expect(listedSerials(Buffer.from('0000002e '))).toEqual([0x2e]);
    expect(listedSerials(Buffer.from('0000002e'))).toEqual([]);
    expect(listedSerials(Buffer.alloc(0))).toEqual([]);
  });
});

describe('readKeysAs', () => {
  live('reads and describes, as its owner, a key root cannot view', async () => {
    const name = uniqueName('as');
    const s = await holdSessionAs('k=$(keyctl add user "$1" v @s) && keyctl setperm $k 0x3f010000 && echo $k', [name]);
    try {
      const serial = Number(s.lines[0]);
      const hex = serial.toString(16).padStart(8, '0');
      const keyctl = await loadKeyctl();
      if ('error' in keyctl) throw new Error(keyctl.error);
      expect(keyctl.describe(serial)).toEqual({ serial, errno: 'EACCES' });

      const read = await (await built()).readKeysAs('/proc/keys', uid, uid);
      expect(read.bridgeError).toBeUndefined();
      const line = read.bytes.toString('latin1').split('\n').find((l) => l.startsWith(`${hex} `));
      expect(line).toMatch(new RegExp(` ${uid} +${uid} user +${name}: 1$`));
      expect(read.answers.find((a) => a.serial === serial)).toEqual({ serial, errno: null, type: 'user', uid, gid: uid, perm: 0x3f010000, description: name });
      // One answer for each serial the read lists.
      expect(read.answers.map((a) => a.serial).sort()).toEqual(listedSerials(read.bytes).sort());
    } finally {
      await s.end();
    }
  });

  live('reads from a thread of this process, whose every thread has root\'s credentials again after the read', async () => {
    const { readKeysAs } = await built();
    const read = await readKeysAs('/proc/keys', uid, uid);
    expect(read.bytes.length).toBeGreaterThan(0);
    const tasks = readdirSync('/proc/self/task');
    expect(tasks.length).toBeGreaterThan(1);
    for (const tid of tasks) {
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'latin1');
      expect(status).toMatch(/^Uid:\t0\t0\t0\t0$/m);
      expect(status).toMatch(/^Gid:\t0\t0\t0\t0$/m);
    }
  });

  live('rejects with the reason when it cannot read the file', async () => {
    await expect((await built()).readKeysAs('/nonexistent/keys', uid, uid)).rejects.toThrow(/ENOENT.*\/nonexistent\/keys/);
    await expect((await built()).readKeysAs('/proc/self/../1/environ', uid, uid)).rejects.toThrow(/EACCES/);
  });
});
