/**
 * The upcall cache checks on entries the real kernel makes: key.dns_resolver (keyutils) answers request_key for
 * dns_resolver keys, and a lookup that fails is cached as a negative key. Failed lookups are made as a throwaway
 * uid, whose keys no other test's root reads see; an answer kept forever by root, in its own throwaway session.
 */
import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { hasCommand, hasPath, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';
import { DROP_USER_KEYRINGS } from '../helpers/user-keyrings.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasPath('/sbin/key.dns_resolver', 'key.dns_resolver (apt-get install keyutils)'), hasPath('/usr/bin/python3', 'python3')]);

function findings(stdout: string): { check: string; severity: string; message: string }[] {
  return JSON.parse(stdout).audit.findings;
}

describe('upcall caches, live', () => {
  live('failed dns_resolver lookups of a uid: upcall_failed_entries from failed_min, and the failed entries counted in the metrics', async () => {
    const uid = 45100 + (process.pid % 90);
    const name = uniqueName('nx');
    const r = sh(`
      d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT && chmod 755 "$d"
      printf 'upcall:\\n  failed_min: 3\\n' > "$d/audit.yaml" && chmod 644 "$d/audit.yaml"
      cd / && setpriv --reuid=${uid} --regid=${uid} --clear-groups keyctl session - bash -c '
        for n in a b c; do keyctl request2 dns_resolver "$n.${name}.invalid" "" @s > /dev/null 2>&1; done
        "$BIN" audit --format json --fail-on never --config.file "$1/audit.yaml"
        echo ---
        "$BIN" metrics | grep "^keyring_upcall_cache_[a-z_]*keys{type=\\"dns_resolver\\"}"
        keyctl clear @s' bash "$d"
      cd / && setpriv --reuid=${uid} --regid=${uid} --clear-groups ${DROP_USER_KEYRINGS}`);
    expect(r.status, r.stderr).toBe(0);
    // The garbage collector frees the invalidated keyrings a moment later; then the uid owns nothing.
    const gone = async (): Promise<boolean> => !new RegExp(`^ *${uid}:`, 'm').test(readFileSync('/proc/key-users', 'latin1'));
    for (let i = 0; i < 50 && !(await gone()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await gone()).toBe(true);
    const [json, metrics] = r.stdout.split('---\n') as [string, string];
    const mine = findings(json).filter((f) => f.check === 'upcall_failed_entries');
    expect(mine.map((f) => f.severity)).toEqual(['warning']);
    expect(mine[0]?.message).toMatch(/^3 of the 3 dns_resolver entries cache a failed lookup \(/);
    for (const n of ['a', 'b', 'c']) expect(mine[0]?.message).toContain(`"${n}.${name}.invalid"`);
    expect(metrics.split('\n').filter((l) => l !== '')).toEqual([
      'keyring_upcall_cache_keys{type="dns_resolver"} 3',
      'keyring_upcall_cache_failed_keys{type="dns_resolver"} 3',
      'keyring_upcall_cache_permanent_keys{type="dns_resolver"} 0',
    ]);
  });

  live('an answer whose timeout was taken away: upcall_entry_never_expires', () => {
    const r = sh(`cd / && keyctl session - bash -c '
      k=$(keyctl request2 dns_resolver localhost "" @s) && keyctl timeout $k 0 && printf "%08x\\n" $k
      "$BIN" audit --format json --fail-on never
      keyctl clear @s'`);
    expect(r.status, r.stderr).toBe(0);
    const [serial, ...json] = r.stdout.split('\n');
    expect(serial).toMatch(/^[0-9a-f]{8}$/);
    const mine = findings(json.join('\n')).filter((f) => f.check === 'upcall_entry_never_expires');
    expect(mine.map((f) => [f.severity, f.message])).toEqual([['warning', expect.stringMatching(/^\d+ dns_resolver entr(y never expires|ies never expire) \(.*"localhost"/)]]);
  });
});
