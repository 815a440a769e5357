/**
 * Reading /proc/keys and describing its serials as another uid (src/procfs/read-keys-as.ts). The child runs
 * the compiled script as a throwaway uid, so the module is imported from the build the tests run the exporter
 * from (helpers/runtime-copy.ts: readable by that uid), not from the sources.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  live('reads in a process the uid cannot ptrace or inspect, which a process started as the uid would not be', async () => {
    const { spawnAsReader } = await built();
    const reader = spawnAsReader(uid, uid, ['/bin/sleep', '30']);
    const own = spawn('/bin/sleep', ['30'], { uid, gid: uid });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const status = readFileSync(`/proc/${reader.pid}/status`, 'latin1');
      // Effective (and saved and file system) ids are the uid's, the real ones root's.
      expect(status).toMatch(new RegExp(`^Uid:\\t0\\t${uid}\\t${uid}\\t${uid}$`, 'm'));
      expect(status).toMatch(new RegExp(`^Gid:\\t0\\t${uid}\\t${uid}\\t${uid}$`, 'm'));
      expect(status).toMatch(/^Groups:\s*$/m);
      // /proc/PID/environ is open to whoever may ptrace the process (kernel/ptrace.c __ptrace_may_access()).
      const asUid = (path: string) => spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'cat', path], { encoding: 'latin1' });
      expect(asUid(`/proc/${own.pid}/environ`).status).toBe(0);
      const r = asUid(`/proc/${reader.pid}/environ`);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
    } finally {
      reader.kill();
      own.kill();
    }
  });

  live("rejects with the child's reason when it cannot read the file", async () => {
    await expect((await built()).readKeysAs('/nonexistent/keys', uid, uid)).rejects.toThrow(/ENOENT.*\/nonexistent\/keys/);
    await expect((await built()).readKeysAs('/proc/self/../1/environ', uid, uid)).rejects.toThrow(/EACCES/);
  });
});
