/**
 * keys_left_without_process and keyring_user_processless_keys: a uid whose processes have all exited but whose
 * persistent keyring holds a logon key, beside one that still runs a process; and the check on hand-made reads.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { keysLeftWithoutProcess as check } from '../../src/audit/checks/keys-left-without-process.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import { buildInventory } from '../../src/classify/inventory.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';
import { snapshotOf } from '../helpers/snapshot.js';
import { renderKeys } from '../helpers/render-key-line.js';
import { DROP_USER_KEYRINGS } from '../helpers/user-keyrings.js';
import { keyUser } from './checks/support.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv')]);

describe('keys_left_without_process', () => {
  const read = (processless: number[] | undefined) => {
    const keys = renderKeys([
      { serial: 0x10, uid: 1000, gid: 1000, type: 'logon', text: 'fscrypt:1234: 64' },
      { serial: 0x11, uid: 1000, gid: 1000, type: 'keyring', text: '_ses: 1' },
      { serial: 0x12, uid: 1001, gid: 1001, type: 'keyring', text: '_ses: empty' },
    ]);
    const snapshot = snapshotOf(keys, [keyUser(1000, 2, 2, 2, 200, 100, 20000), keyUser(1001, 1, 1, 1, 200, 5, 20000)].join('\n') + '\n', undefined, 1_800_000_000);
    return buildInventory(processless === undefined ? snapshot : { ...snapshot, processlessUids: processless });
  };

  it('a warning for a uid without a process that still holds a secret, info for one holding keyrings only', () => {
    const findings = runAudit(read([1000, 1001]), DEFAULT_AUDIT_CONFIG, [check]).findings;
    expect(findings.map((f) => [f.severity, f.uid, f.message])).toEqual([
      ['warning', 1000, 'uid 1000 runs no process but owns 2 keys (2 visible: 1 keyring, 1 logon; by class 1 key, 1 session), 1 of them holding a secret'],
      ['info', 1001, 'uid 1001 runs no process but owns 1 key (1 visible: 1 keyring; by class 1 session)'],
    ]);
  });

  it('a uid that left only its user and user-session keyrings, which the kernel keeps after every logout, left nothing', () => {
    const keys = renderKeys([
      { serial: 0x20, uid: 1002, gid: 65534, type: 'keyring', perm: '1f3f0000', text: '_uid.1002: empty' },
      { serial: 0x21, uid: 1002, gid: 65534, type: 'keyring', perm: '1f3f0000', text: '_uid_ses.1002: 1' },
    ]);
    const inv = buildInventory({ ...snapshotOf(keys, `${keyUser(1002, 2, 2, 2, 200, 30, 20000)}\n`, undefined, 1_800_000_000), processlessUids: [1002] });
    expect(inv.processless).toEqual([]);
    expect(runAudit(inv, DEFAULT_AUDIT_CONFIG, [check]).findings).toEqual([]);
  });

  it('stays quiet where every uid runs a process, and where processes were not seen (a capture)', () => {
    expect(runAudit(read([]), DEFAULT_AUDIT_CONFIG, [check]).findings).toEqual([]);
    expect(read(undefined).processless).toBeNull();
    expect(runAudit(read(undefined), DEFAULT_AUDIT_CONFIG, [check]).findings).toEqual([]);
  });

  live('a uid whose processes have exited but whose persistent keyring holds a logon key, beside one still running a process', async () => {
    const gone = 45300 + (process.pid % 90);
    const running = 45400 + (process.pid % 90);
    const name = uniqueName('left');
    const asUid = (uid: number): string => `setpriv --reuid=${uid} --regid=${uid} --clear-groups`;
    const sleeper = spawn('bash', ['-c', `cd / && exec ${asUid(running)} keyctl session - bash -c 'keyctl add user ${name}-r v @s > /dev/null && exec sleep 60'`], { stdio: 'ignore' });
    try {
      const made = sh(`cd / && ${asUid(gone)} keyctl session - bash -c 'p=$(keyctl get_persistent @s) && keyctl add logon "kre:${name}" secret $p > /dev/null'`);
      expect(made.status, made.stderr).toBe(0);
      // The sleeper's key is there once its session is.
      for (let i = 0; i < 50 && !new RegExp(`^ *${running}:`, 'm').test(sh('cat /proc/key-users').stdout); i++) await new Promise((r) => setTimeout(r, 100));
      const r = sh(`"$BIN" audit --view all-users --format json --fail-on never; echo ---; "$BIN" metrics --view all-users`);
      expect(r.status, r.stderr).toBe(0);
      const [json, metrics] = r.stdout.split('---\n') as [string, string];
      const findings = (JSON.parse(json).audit.findings as { check: string; uid?: number; severity: string; message: string; remediation: string }[]).filter((f) => f.check === 'keys_left_without_process');
      const mine = findings.find((f) => f.uid === gone);
      expect(mine?.severity).toBe('warning');
      expect(mine?.message).toMatch(new RegExp(`^uid ${gone} runs no process but owns \\d+ keys \\(\\d+ visible: .*1 logon.*\\), 1 of them holding a secret$`));
      expect(findings.find((f) => f.uid === running)).toBeUndefined();
      expect(metrics).toMatch(new RegExp(`^keyring_user_processless_keys\\{uid="${gone}"\\} [1-9]\\d*$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^keyring_user_processless_keys\\{uid="${running}"\\} 0$`, 'm'));
      // The fix works as written, as root: the persistent keyring goes, with the logon key it held.
      const fix = /`(keyctl invalidate \$\(keyctl get_persistent @s \d+\))`/.exec(mine?.remediation ?? '')?.[1];
      expect(fix).toBe(`keyctl invalidate $(keyctl get_persistent @s ${gone})`);
      expect(sh(`cd / && keyctl session - bash -c '${fix as string}'`).status).toBe(0);
      expect(sh(`"$BIN" keys --view all-users --format json`).stdout).not.toContain(`kre:${name}`);
    } finally {
      if (sleeper.exitCode === null) {
        sleeper.kill('SIGTERM');
        await new Promise((r) => sleeper.once('exit', r));
      }
      spawnSync('bash', ['-c', `cd / && ${asUid(gone)} keyctl session - bash -c 'keyctl invalidate $(keyctl get_persistent @s)' > /dev/null 2>&1; for u in ${gone} ${running}; do cd / && setpriv --reuid=$u --regid=$u --clear-groups ${DROP_USER_KEYRINGS}; done`]);
    }
  }, 30_000);
});
