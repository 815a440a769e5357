/**
 * The fixes the findings suggest, run as written on the real kernel: a remediation that names a command must
 * work for the user it names (`keyctl show` of a session keyring, for one, is refused to root and to its owner
 * alike).
 */
import { describe, expect } from 'vitest';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('pkill')]);

describe('remediations run as written', () => {
  live('session_keyring_leak: the command it gives lists what a leaked session keyring of the uid holds', () => {
    const uid = 42700 + (process.pid % 90);
    const name = uniqueName('leak');
    const r = sh(`
      U=${uid}; cfg=$(mktemp); printf 'sessions:\\n  max_count: 2\\n  quota_share: 1\\n' > $cfg
      pids=""
      for i in 1 2 3; do
        setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c "keyctl add user ${name}-$i v @s >/dev/null; sleep 30" >/dev/null 2>&1 & pids="$pids $!"
      done
      for i in $(seq 100); do [ "$(awk -v u="$U:" '$1 == u { print $2 }' /proc/key-users | cut -d/ -f1)" = 6 ] && break; sleep 0.1; done
      fix=$("$BIN" audit --view all-users --config.file $cfg --format json --fail-on never | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          const f = JSON.parse(s).audit.findings.find((f) => f.check === "session_keyring_leak" && f.uid === ${uid});
          process.stdout.write(f ? /\`(setpriv [^\`]*)\`/.exec(f.remediation)[1] : "");
        });')
      echo "fix: $fix"
      [ -n "$fix" ] && bash -c "$fix"; rc=$?
      for p in $pids; do pkill -P $p; kill $p 2>/dev/null; done; wait 2>/dev/null; rm -f $cfg
      exit $rc`);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`fix: setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl list 0x[0-9a-f]{8}\\n`));
    expect(r.stdout).toMatch(new RegExp(`1 key in keyring:\\n\\s*\\d+: --alswrv +${uid} +${uid} user: ${name}-[123]\\n`));
  });

  live('special_keyring_impostor: as the owner, the describe it gives works, and the revoke works where it says', () => {
    const uid = 42800 + (process.pid % 90);
    // Two impostors of _persistent.<uid>: one whose perm gives its owner setattr (revoked as the owner, as the
    // fix writes it), one with the default perm (only its session may revoke it, which the fix says).
    const r = sh(`
      U=${uid}; out=$(mktemp); chmod 666 $out
      setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c '
        a=$(keyctl newring _persistent.'$U' @s) && keyctl setperm $a 0x3f3f0000 && b=$(keyctl newring _persistent.'$U' $a) &&
        printf "%08x %08x\\n" $a $b > '$out' && sleep 30' >/dev/null 2>&1 & pid=$!
      for i in $(seq 100); do [ -s $out ] && break; sleep 0.1; done
      read a b < $out
      "$BIN" audit --view all-users --format json --fail-on never | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          for (const f of JSON.parse(s).audit.findings.filter((f) => f.check === "special_keyring_impostor" && f.uid === ${uid}))
            console.log("FIX " + f.serial + " " + f.remediation);
        });' > $out.fixes
      cat $out.fixes
      describe=$(grep "^FIX $a " $out.fixes | sed -n "s/.*See what it is as its owner (\\\`\\([^\\\`]*\\)\\\`.*/\\1/p")
      revoke=$(grep "^FIX $a " $out.fixes | sed -n "s/.*as its owner: \\\`\\([^\\\`]*\\)\\\`.*/\\1/p")
      echo "describe: $describe"; bash -c "$describe"; d=$?
      echo "revoke: $revoke"; bash -c "$revoke"; v=$?
      grep -q "^$a I*R" /proc/keys 2>/dev/null; echo "revoked as owner: $(setpriv --reuid=$U --regid=$U --clear-groups awk -v s=$a '$1 == s { print $2 }' /proc/keys)"
      pkill -P $pid; kill $pid 2>/dev/null; wait 2>/dev/null; rm -f $out $out.fixes
      [ $d = 0 ] && [ $v = 0 ]`);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`describe: setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl describe 0x[0-9a-f]{8}\\n`));
    expect(r.stdout).toMatch(/revoked as owner: IR/);
    // The one with the default perm: only its session may revoke it, and the fix says so.
    expect(r.stdout).toMatch(new RegExp(`only a process that possesses it may revoke it .*have uid ${uid} run \`keyctl revoke 0x[0-9a-f]{8}\` in the session that holds it`));
  });

  live('dead_keys_lingering: the process it points at is the one pinning the revoked session keyring, and ending it frees the keyring', () => {
    const uid = 42900 + (process.pid % 90);
    const r = sh(`
      U=${uid}; out=$(mktemp); chmod 666 $out
      setpriv --reuid=$U --regid=$U --clear-groups keyctl session - bash -c 'printf "%08x\\n" $(keyctl show @s | sed -n "2s/^ *\\([0-9]*\\).*/\\1/p") > '$out'; keyctl revoke @s; exec sleep 30' >/dev/null 2>&1 & pid=$!
      for i in $(seq 100); do [ -s $out ] && break; sleep 0.1; done
      ring=$(cat $out)
      "$BIN" audit --view all-users --format json --fail-on never | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          const f = JSON.parse(s).audit.findings.find((f) => f.check === "dead_keys_lingering" && f.uid === ${uid});
          console.log("fix: " + (f ? f.remediation : ""));
          console.log("ps: " + (f ? (/find it with \x60([^\x60]*)\x60/.exec(f.remediation) ?? [])[1] ?? "" : ""));
        });' > $out.fix
      cat $out.fix
      ps=$(sed -n 's/^ps: //p' $out.fix)
      sleeper=$(bash -c "$ps" | awk '$3 == "sleep" && $4 == "30" { print $1 }')
      echo "pinning: $sleeper"
      [ -n "$sleeper" ] && kill $sleeper; wait $pid 2>/dev/null
      for i in $(seq 50); do grep -q "^$ring " /proc/keys || break; sleep 0.1; done
      echo "still listed: $(grep -c "^$ring " /proc/keys)"
      rm -f $out $out.fix; [ -n "$sleeper" ]`);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`the dead keyring 0x[0-9a-f]{8} is pinned by a process of uid ${uid}`));
    expect(r.stdout).toContain(`ps: ps -o pid,etime,args -u ${uid}\n`);
    expect(r.stdout).toContain('still listed: 0\n');
  });
});
