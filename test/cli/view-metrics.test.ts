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
  live('metrics counts the session keyrings of a uid root cannot view, and the self view does not', () => {
    const uid = 42500 + (process.pid % 90);
    const name = uniqueName('vm');
    const r = withTwoSessions(uid, name, `"$BIN" metrics > /tmp/${name}.self && "$BIN" metrics --view all-users > /tmp/${name}.all; cat /tmp/${name}.self; echo ====; cat /tmp/${name}.all; rm -f /tmp/${name}.self /tmp/${name}.all`);
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

  live('serve reads as every uid on each scrape, and says its view when it starts', () => {
    const uid = 42600 + (process.pid % 90);
    const name = uniqueName('vs');
    const r = withTwoSessions(
      uid,
      name,
      `log=$(mktemp); "$BIN" serve --view all-users --web.listen-address 127.0.0.1:0 2> $log & srv=$!
       for i in $(seq 100); do addr=$(sed -n 's/.*msg=listening address=\\([0-9.:]*\\).*/\\1/p' $log); [ -n "$addr" ] && break; sleep 0.1; done
       curl -sf http://$addr/metrics; ok=$?
       kill $srv; wait $srv; echo "start lines naming the view: $(grep -c 'msg="starting keyring-exporter".*view=all-users' $log)"; rm -f $log; [ $ok = 0 ]`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`keyring_session_keyrings{uid="${uid}"} 2\n`);
    expect(r.stdout).toContain('start lines naming the view: 1\n');
  });
});
