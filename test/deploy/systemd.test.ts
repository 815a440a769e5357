import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { BIN } from '../helpers/run-bin.js';
import { holdSession } from '../helpers/held-session.js';

const unit = readFileSync(new URL('../../deploy/systemd/keyring-exporter.service', import.meta.url), 'utf8');
const bin = BIN;

describe('deploy/systemd/keyring-exporter.service', () => {
  itWith([hasCommand('systemd-analyze')])('passes systemd-analyze verify and rates OK or better in systemd-analyze security', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-unit-'));
    try {
      // verify checks that ExecStart exists: point it at this checkout's binary.
      const path = join(dir, 'keyring-exporter.service');
      writeFileSync(path, unit.replace('/usr/local/bin/keyring-exporter', bin));
      const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stderr.trim()).toBe('');
      const security = spawnSync('systemd-analyze', ['security', '--offline=true', path], { encoding: 'utf8' });
      // systemd's words for an exposure level, from best: PERFECT, SAFE, OK, then MEDIUM, EXPOSED, UNSAFE.
      const level = /Overall exposure level for \S+: [\d.]+ (\w+)/.exec(security.stdout)?.[1];
      expect(['PERFECT', 'SAFE', 'OK'], security.stdout.slice(-400)).toContain(level);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps what the exporter needs to see the host\'s keys, and to read as other uids (--view all-users), nothing more', () => {
    expect(unit).toMatch(/^User=root$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_SETUID CAP_SETGID$/m);
    expect(unit).toMatch(/^AmbientCapabilities=$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit.match(/^SystemCallFilter=.*$/gm)).toEqual(['SystemCallFilter=@system-service', 'SystemCallFilter=~@privileged', 'SystemCallFilter=setresuid setresgid setgroups']);
    expect(unit).not.toMatch(/^ProcSubset=pid/m);
    expect(unit).not.toMatch(/^PrivateUsers=yes/m);
    expect(unit).not.toMatch(/^SystemCallFilter=~.*@resources/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });
});

describe('running as the unit runs it', () => {
  itWith([isRoot(), hasCommand('setpriv'), hasCommand('keyctl')])('root without any capability sees the same keys as root with them', () => {
    const name = `kre-test-caps-${process.pid}`;
    // A root key only the owner may view, made in a session both reads share.
    const r = spawnSync(
      'bash',
      ['-c', `keyctl session - bash -c 'keyctl add user ${name} v @s >/dev/null; keyctl setperm $(keyctl search @s user ${name}) 0x3f010000; "${bin}" keys --format json > /tmp/${name}.a; setpriv --inh-caps=-all --bounding-set=-all --no-new-privs "${bin}" keys --format json > /tmp/${name}.b'`],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const a = JSON.parse(readFileSync(`/tmp/${name}.a`, 'utf8'));
    const b = JSON.parse(readFileSync(`/tmp/${name}.b`, 'utf8'));
    rmSync(`/tmp/${name}.a`);
    rmSync(`/tmp/${name}.b`);
    const serials = (d: any) => d.keys.map((k: any) => k.serial).sort();
    expect(serials(b)).toEqual(serials(a));
    expect(b.keys.some((k: any) => k.description === name)).toBe(true);
  });

  itWith([isRoot(), hasCommand('setpriv'), hasCommand('keyctl')])('root with CAP_SETUID and CAP_SETGID alone, as the unit grants them, reads as other uids; root with none cannot', async () => {
    const uid = 44100 + (process.pid % 90);
    const name = `kre-test-setuid-${process.pid}`;
    // A key of the uid that root may not view (perm 3f010000: possessor and owner only).
    const held = await holdSession(`keyctl add user ${name} v @s | xargs -I{} keyctl setperm {} 0x3f010000`, [], ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups']);
    try {
      const asUnit = spawnSync('setpriv', ['--bounding-set=-all,+setuid,+setgid', '--inh-caps=-all', '--no-new-privs', bin, 'keys', '--view', 'all-users', '--format', 'json'], { encoding: 'utf8' });
      expect(asUnit.status, asUnit.stderr).toBe(0);
      const keys = (JSON.parse(asUnit.stdout) as { keys: { uid: number; description: string }[] }).keys;
      expect(keys.some((k) => k.uid === uid && k.description === name)).toBe(true);
      const none = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', bin, 'keys', '--view', 'all-users', '--format', 'json'], { encoding: 'utf8' });
      expect(none.status).toBe(2);
      // Refused at the first step (nothing changed, nothing to take back), and said so.
      expect(none.stderr).toMatch(/\(setgroups failed: EPERM\): it needs root with CAP_SETUID and CAP_SETGID/);
    } finally {
      await held.end();
    }
  });
});
