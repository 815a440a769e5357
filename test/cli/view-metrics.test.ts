/**
 * `metrics --view all-users` and `serve --view all-users` as root, on real keys: another uid's session keyrings,
 * which root cannot view, are counted for that uid (keyring_session_keyrings), as the leak alert needs.
 */
import { describe, expect } from 'vitest';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('curl')]);

/** Runs `body` while a throwaway uid holds two named session keyrings; `$U` is the uid. */
function withTwoSessions(uid: number, name: string, body: string): ReturnType<typeof sh> {
  return sh(
    `U=${uid}
     setpriv --reuid=$U --regid=$U --clear-groups keyctl session ${name}-a bash -c 'keyctl session ${name}-b sleep 30 >/dev/null & sleep 30' >/dev/null & pid=$!
     for i in $(seq 100); do [ "$(awk -v u="$U:" '$1 == u { print $2 }' /proc/key-users | cut -d/ -f1)" = 2 ] && break; sleep 0.1; done
     ${body}
     rc=$?
     pkill -P $pid; kill $pid 2>/dev/null; wait $pid 2>/dev/null
     exit $rc`,
  );
}

describe('--view all-users in the metrics', () => {
  live('metrics counts the session keyrings of a uid root cannot view (the default, auto, as root with CAP_SETUID and CAP_SETGID), and the self view does not', () => {
    const uid = 42500 + (process.pid % 90);
    const name = uniqueName('vm');
    const r = withTwoSessions(uid, name, `"$BIN" metrics --view self > /tmp/${name}.self && "$BIN" metrics > /tmp/${name}.all; cat /tmp/${name}.self; echo ====; cat /tmp/${name}.all; rm -f /tmp/${name}.self /tmp/${name}.all`);
    expect(r.status, r.stderr).toBe(0);
    const [self, all] = r.stdout.split('====\n') as [string, string];
    expect(self).not.toContain(`keyring_session_keyrings{uid="${uid}"}`);
    expect(all).toContain(`keyring_session_keyrings{uid="${uid}"} 2\n`);
    expect(all).toContain(`keyring_user_visible_keys{uid="${uid}"} 2\n`);
    // Root sees none of the uid's keys by itself: a 0, not a missing series.
    expect(self).toContain(`keyring_user_visible_keys{uid="${uid}"} 0\n`);
    expect(self).toContain('keyring_view_uids{view="self",result="read"} 1\n');
    expect(Number(/keyring_view_uids\{view="all-users",result="read"\} (\d+)/.exec(all)?.[1])).toBeGreaterThanOrEqual(2);
    expect(all).toContain('keyring_view_uids{view="all-users",result="failed"} 0\n');
  });

  live('auto is the self view for root without CAP_SETUID and CAP_SETGID, and serve says which view auto chose and why', () => {
    const uid = 44300 + (process.pid % 90);
    const name = uniqueName('va');
    const r = withTwoSessions(
      uid,
      name,
      `setpriv --bounding-set=-all --inh-caps=-all "$BIN" metrics > /tmp/${name}.m; cat /tmp/${name}.m; rm -f /tmp/${name}.m; echo ====
       log=$(mktemp); setpriv --bounding-set=-all --inh-caps=-all "$BIN" serve --web.listen-address 127.0.0.1:0 2> $log & srv=$!
       for i in $(seq 100); do grep -q 'msg=listening' $log && break; sleep 0.1; done
       kill $srv; wait $srv; grep 'msg="starting keyring-exporter"' $log; rm -f $log`,
    );
    expect(r.status, r.stderr).toBe(0);
    const [metrics, log] = r.stdout.split('====\n') as [string, string];
    expect(metrics).toContain('keyring_view_uids{view="self",result="read"} 1\n');
    expect(metrics).not.toContain(`keyring_session_keyrings{uid="${uid}"}`);
    // What it cannot see, it counts: the uid's two session keyrings.
    expect(metrics).toContain(`keyring_user_unseen_keys{uid="${uid}"} 2\n`);
    expect(log).toMatch(/ view=self view_asked=auto view_why="root without CAP_SETUID and CAP_SETGID" /);
  });

  live('serve reads as every uid on each scrape, and says its view when it starts', () => {
    const uid = 42600 + (process.pid % 90);
    const name = uniqueName('vs');
    const r = withTwoSessions(
      uid,
      name,
      `log=$(mktemp); "$BIN" serve --view all-users --web.listen-address 127.0.0.1:0 2> $log & srv=$!
       for i in $(seq 100); do addr=$(sed -n 's/.*msg=listening address=\\([0-9.:]*\\).*/\\1/p' $log); [ -n "$addr" ] && break; sleep 0.1; done
       curl -sf http://$addr/metrics; ok=$?
       echo ====; curl -sf http://$addr/metrics || ok=1
       kill $srv; wait $srv; echo "start lines naming the view: $(grep -c 'msg="starting keyring-exporter".*view=all-users' $log)"; rm -f $log; [ $ok = 0 ]`,
    );
    expect(r.status, r.stderr).toBe(0);
    // The second scrape reads as the uid again, with what the first confirmed (a memo per uid): the same counts.
    const [first, second] = r.stdout.split('====\n') as [string, string];
    for (const scrape of [first, second]) expect(scrape).toContain(`keyring_session_keyrings{uid="${uid}"} 2\n`);
    expect(second).toContain('start lines naming the view: 1\n');
  });

  live('reads as only the uids with keys root cannot see, at most --collector.users.max-uids of them', () => {
    const uid = 43000 + (process.pid % 90);
    const open = 43100 + (process.pid % 90);
    const hidden = 43200 + (process.pid % 90);
    const name = uniqueName('vu');
    // uid: two session keyrings root cannot view; open: a key and a session keyring whose perms let anyone view
    // them; hidden: one session keyring root cannot view (a smaller gap than uid's).
    const r = withTwoSessions(
      uid,
      name,
      `setpriv --reuid=${open} --regid=${open} --clear-groups keyctl session - bash -c 'k=$(keyctl add user ${name} v @s) && keyctl setperm $k 0x3f010001 && keyctl setperm @s 0x3f010001 && sleep 30' >/dev/null 2>&1 & o=$!
       setpriv --reuid=${hidden} --regid=${hidden} --clear-groups keyctl session - sleep 30 >/dev/null 2>&1 & h=$!
       for i in $(seq 100); do [ "$(awk -v u=${open} '$6 == u' /proc/keys | wc -l)" = 2 ] && grep -q "^ *${hidden}:" /proc/key-users && break; sleep 0.1; done
       "$BIN" keys --view all-users --format json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log("readers " + JSON.stringify(JSON.parse(s).source.view.readers)))'
       "$BIN" metrics --view all-users --collector.users.max-uids 1 | grep -E '^keyring_view_(uids|failed_uids)'
       pkill -P $o; kill $o $h 2>/dev/null`,
    );
    expect(r.status, r.stderr).toBe(0);
    const readers = JSON.parse(/^readers (.*)$/m.exec(r.stdout)?.[1] ?? '[]') as number[];
    expect(readers).toContain(uid);
    expect(readers).toContain(hidden);
    expect(readers).not.toContain(open);
    // With a cap of 1: root and the uid with the largest gap; hidden (and any other) is not read, and counted.
    expect(r.stdout).toContain('keyring_view_uids{view="all-users",result="read"} 2\n');
    const failed = Number(/keyring_view_uids\{view="all-users",result="failed"\} (\d+)/.exec(r.stdout)?.[1]);
    expect(failed).toBeGreaterThanOrEqual(1);
    // Every one of them for the cap, none for want of credentials or a failed read.
    expect(r.stdout).toContain(`keyring_view_failed_uids{reason="max_uids"} ${failed}\n`);
    expect(r.stdout).toContain('keyring_view_failed_uids{reason="credentials"} 0\n');
    expect(r.stdout).toContain('keyring_view_failed_uids{reason="read"} 0\n');
  });
});
