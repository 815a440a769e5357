/**
 * Kerberos caches in keyrings from a real MIT KDC (test/helpers/kdc.ts): a throwaway uid kinits into
 * KEYRING:persistent (two caches, one holding a service ticket too) and KEYRING:session, and the exporter, as
 * root reading as every uid, counts what klist shows.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect } from 'vitest';
import { holdSession } from '../helpers/held-session.js';
import { startKdc } from '../helpers/kdc.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh } from '../helpers/run-bin.js';
import { DROP_USER_KEYRINGS } from '../helpers/user-keyrings.js';

/** The throwaway uid's persistent keyring, and its user keyrings, invalidated as the uid. */
function dropKeyrings(asUid: string[]): void {
  spawnSync('bash', ['-c', `cd / && ${asUid.join(' ')} keyctl session - bash -c 'keyctl invalidate $(keyctl get_persistent @s)'; cd / && ${asUid.join(' ')} ${DROP_USER_KEYRINGS}`]);
}

/**
 * A KDC with `principals` (name, password; '' for a random key), and a throwaway uid from `uidBase` running
 * `script(uid)` (KRB5_CONFIG set) in a session held while `look` reads what it printed; everything ended after.
 */
async function asKdcUser(uidBase: number, principals: [string, string][], script: (uid: number) => string[], look: (uid: number, printed: string[]) => void): Promise<void> {
  const kdc = await startKdc();
  const uid = uidBase + (process.pid % 90);
  const asUid = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  try {
    for (const [name, password] of principals) kdc.addPrincipal(name, password);
    const s = await holdSession([`export KRB5_CONFIG=${kdc.env['KRB5_CONFIG'] as string}`, ...script(uid)].join('\n'), [], asUid);
    try {
      look(uid, s.lines);
    } finally {
      await s.end();
      dropKeyrings(asUid);
    }
  } finally {
    await kdc.stop();
  }
}

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('kinit'), hasCommand('krb5kdc'), hasCommand('kdb5_util'), hasCommand('kadmin.local')]);

describe('Kerberos caches, live', () => {
  live('kinit into KEYRING:persistent and KEYRING:session as a throwaway uid: the caches, TGTs, metrics and findings match klist', async () => {
    await asKdcUser(
      45200,
      [
        ['alice', 'alice-pw'],
        ['host/srv.kre-test.test', ''],
      ],
      (uid) => {
        const pc = `KEYRING:persistent:${uid}`;
        return [
          `echo alice-pw | KRB5CCNAME=${pc} kinit alice > /dev/null && KRB5CCNAME=${pc} kvno host/srv.kre-test.test > /dev/null`,
          `echo alice-pw | KRB5CCNAME=${pc}:krb_ccache_two kinit alice > /dev/null`,
          'echo alice-pw | KRB5CCNAME=KEYRING:session:kre kinit alice > /dev/null',
          `{ KRB5CCNAME=${pc} klist -A; KRB5CCNAME=KEYRING:session:kre klist; } | sed 's/^/klist /'`,
        ];
      },
      (uid, printed) => {
        const klist = printed.filter((l) => l.startsWith('klist ')).map((l) => l.slice('klist '.length));
        const caches = klist.filter((l) => l.startsWith('Ticket cache: ')).length;
        const tgts = klist.filter((l) => / krbtgt\//.test(l)).length;
        expect([caches, tgts], klist.join('\n')).toEqual([3, 3]);

        const r = sh(`"$BIN" audit --view all-users --format json --fail-on never; echo ---; "$BIN" metrics --view all-users`);
        expect(r.status, r.stderr).toBe(0);
        const [json, metrics] = r.stdout.split('---\n') as [string, string];
        const mine = (JSON.parse(json).audit.findings as { check: string; uid?: number; message: string }[]).filter((f) => f.uid === uid && f.check.startsWith('kerberos_'));
        // Tickets of at most 10 minutes: every TGT ends within the hour.
        expect(mine.map((f) => f.check)).toEqual(['kerberos_tgt_expiring']);
        expect(mine[0]?.message).toMatch(new RegExp(`^uid ${uid} holds ${tgts} Kerberos TGTs \\(realm KRE-TEST\\.TEST\\) ending within 60 min, the first in \\d+ min`));
        const value = (name: string): number | undefined => {
          const line = metrics.split('\n').find((l) => l.startsWith(`${name}{uid="${uid}"} `));
          return line === undefined ? undefined : Number(line.split(' ')[1]);
        };
        expect(value('keyring_kerberos_caches')).toBe(caches);
        expect(value('keyring_kerberos_expired_tickets')).toBe(0);
        expect(value('keyring_kerberos_tgt_expiry_seconds')).toBeGreaterThan(0);
        expect(value('keyring_kerberos_tgt_expiry_seconds')).toBeLessThanOrEqual(600);
        expect(value('keyring_kerberos_bytes')).toBeGreaterThan(3 * 500);
      },
    );
  }, 60_000);

  live('caches piling up in a persistent collection until Kerberos holds half the byte quota, one of them expired: the checks fire, counting the caches klist -l lists and the expired one', async () => {
    await asKdcUser(
      45500,
      [['bob', 'bob-pw']],
      (uid) => {
        const pc = `KEYRING:persistent:${uid}`;
        return [
          `for i in $(seq 1 11); do echo bob-pw | KRB5CCNAME=${pc}:krb_ccache_$i kinit bob > /dev/null || exit 1; done`,
          `echo bob-pw | KRB5CCNAME=${pc}:krb_ccache_short kinit -l 2s bob > /dev/null && sleep 3`,
          `KRB5CCNAME=${pc} klist -l | sed 's/^/klist /'`,
        ];
      },
      (uid, printed) => {
        // klist -l: a header, a rule, and a line a live cache. The expired cache's keyring is dead, so klist no longer
        // lists it, but its keys stay until the kernel's collector takes them: the exporter counts it too.
        const live = printed.filter((l) => l.startsWith('klist ')).slice(2);
        expect(live.length, live.join('\n')).toBe(11);
        const caches = live.length + 1;
        const r = sh(`"$BIN" audit --view all-users --format json --fail-on never`);
        expect(r.status, r.stderr).toBe(0);
        const mine = (JSON.parse(r.stdout).audit.findings as { check: string; uid?: number; message: string }[]).filter((f) => f.uid === uid && f.check.startsWith('kerberos_'));
        expect(mine.map((f) => f.check).sort()).toEqual(['kerberos_caches_piling_up', 'kerberos_expired_tickets', 'kerberos_quota_share', 'kerberos_tgt_expiring']);
        expect(mine.find((f) => f.check === 'kerberos_caches_piling_up')?.message).toMatch(new RegExp(`^uid ${uid} holds ${caches} Kerberos caches, more than 5 `));
        expect(mine.find((f) => f.check === 'kerberos_expired_tickets')?.message).toBe(`uid ${uid} still holds 1 expired Kerberos ticket (1 TGT)`);
      },
    );
  }, 60_000);
});
