/**
 * Audit checks against scenarios made on this machine's kernel, live: keyctl in throwaway sessions, sysctls
 * restored in the same shell (trap), every process ended by its pid. Scenarios with captured fixtures are in
 * checks.test.ts; these are the ones best made fresh.
 */
import { describe, expect } from 'vitest';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';
import { PERSISTENT_EXPIRY_LOCK } from '../helpers/sysctl-lock.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('pkill')]);

function findings(stdout: string): { check: string; severity: string; serial?: string; uid?: number; message: string }[] {
  return JSON.parse(stdout).audit.findings;
}

describe('live scenarios', () => {
  live('keyctl setperm 0x3f010003 on a secret makes it readable by everyone: permissive_key is critical', () => {
    const name = uniqueName('perm');
    const r = sh(
      `keyctl session - bash -c 'k=$(keyctl add user "${name}" s3cret @s) && keyctl setperm $k 0x3f010003 && printf "%08x\\n" $k && "$BIN" audit --format json --fail-on never'`,
    );
    expect(r.status, r.stderr).toBe(0);
    const [serial, ...json] = r.stdout.split('\n');
    const mine = findings(json.join('\n')).filter((f) => f.serial === serial);
    expect(mine.map((f) => [f.check, f.severity])).toEqual([['permissive_key', 'critical']]);
    expect(mine[0]?.message).toContain('every user may read');
  });

  live('a persistent keyring holding a key, got with persistent_keyring_expiry lowered to 2 h: persistent_keyring_expiring', () => {
    const uid = 40400 + (process.pid % 90);
    const name = uniqueName('pers');
    // Under the lock every test that lowers the sysctl holds (test/helpers/sysctl-lock.ts).
    const r = sh(`
      exec 9>${PERSISTENT_EXPIRY_LOCK}; flock 9
      old=$(cat /proc/sys/kernel/keys/persistent_keyring_expiry)
      trap 'echo "$old" > /proc/sys/kernel/keys/persistent_keyring_expiry' EXIT
      echo 7200 > /proc/sys/kernel/keys/persistent_keyring_expiry
      keyctl session - bash -c '
        p=$(keyctl get_persistent @s ${uid}) || exit 1
        keyctl add user "${name}" v $p >/dev/null || exit 1
        printf "%08x\\n" $p
        "$BIN" audit --format json --fail-on never; rc=$?
        keyctl invalidate $p; exit $rc'
    `);
    expect(r.status, r.stderr).toBe(0);
    const [serial, ...json] = r.stdout.split('\n');
    const mine = findings(json.join('\n')).filter((f) => f.serial === serial);
    expect(mine.map((f) => [f.check, f.severity, f.uid])).toEqual([['persistent_keyring_expiring', 'warning', uid]]);
    // 7200 s prints "2h" in its first second, "1h" after: the bounds follow what was printed.
    expect(mine[0]?.message).toMatch(/holds 1 key and expires in (2 h to 3 h|1 h to 2 h|59 min to 1 h)$/);
  });

  live('a runc-style container keyring with root_maxkeys below 1,000,000: quota_limits_low', () => {
    const id = Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
    const r = sh(`
      old=$(cat /proc/sys/kernel/keys/root_maxkeys)
      trap 'echo "$old" > /proc/sys/kernel/keys/root_maxkeys' EXIT
      echo 999999 > /proc/sys/kernel/keys/root_maxkeys
      keyctl session "_ses.${id}" bash -c 'keyctl setperm @s 0x3f1b0000 && "$BIN" audit --format json --fail-on never'
    `);
    expect(r.status, r.stderr).toBe(0);
    const low = findings(r.stdout).filter((f) => f.check === 'quota_limits_low');
    expect(low.map((f) => [f.severity, f.message])).toEqual([
      ['warning', '1 container keyring owned by root but kernel.keys.root_maxkeys is 999999, below the 1000000 container hosts use'],
    ]);
    expect(sh('cat /proc/sys/kernel/keys/root_maxkeys').stdout.trim()).not.toBe('999999');
  });

  live('an unprivileged user names a keyring _persistent.0: special_keyring_impostor', () => {
    const uid = 40500 + (process.pid % 90);
    const r = sh(`
      setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl session - bash -c 'k=$(keyctl newring _persistent.0 @s) && keyctl setperm $k 0x3f010001 && printf "%08x\\n" $k && sleep 20' > /tmp/kre-imp-${uid} & pid=$!
      for i in $(seq 50); do [ -s /tmp/kre-imp-${uid} ] && break; sleep 0.1; done
      "$BIN" audit --format json --fail-on never; rc=$?
      echo "serial=$(head -1 /tmp/kre-imp-${uid})" >&2; rm -f /tmp/kre-imp-${uid}
      pkill -P $pid; kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit $rc
    `);
    expect(r.status, r.stderr).toBe(0);
    const serial = /^serial=(\w+)$/m.exec(r.stderr)?.[1];
    const mine = findings(r.stdout).filter((f) => f.serial === serial);
    expect(mine.map((f) => [f.check, f.severity, f.uid])).toEqual([['special_keyring_impostor', 'critical', uid]]);
  });
});
