import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/classify/inventory.js';
import { quotaBytes } from '../../src/classify/key-trust.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { renderKeyLine, renderKeys } from '../helpers/render-key-line.js';
import { snapshotOf } from '../helpers/snapshot.js';

const users = (...lines: string[]) => lines.join('\n') + '\n';

describe('quotaBytes: what a key charges, as key.c and keyring.c compute it', () => {
  it.each([
    ['keyring, empty (at least: dead links keep their charge)', { type: 'keyring', text: '_uid.0: empty' }, { min: 7, exact: false }],
    ['keyring, 2 links', { type: 'keyring', text: '.user_reg: 2' }, { min: 10 + 8, exact: false }],
    ['user', { type: 'user', text: 'api:token: 64' }, { min: 10 + 64, exact: true }],
    ['logon', { type: 'logon', text: 'svc:a: 5' }, { min: 6 + 5, exact: true }],
    ['negative user key', { type: 'user', flags: 'I--Q-N-', text: 'debug:x' }, { min: 8, exact: true }],
    ['asymmetric (reservation not shown)', { type: 'asymmetric', text: 'c: X509.rsa 1a2b3c4d []' }, { min: 2, exact: false }],
  ])('%s', (_n, fields, bytes) => {
    const r = parseProcKeys(renderKeyLine({ serial: 1, ...fields }) + '\n').records[0]!;
    expect(quotaBytes(r)).toEqual(bytes);
  });
});

describe('buildInventory: trust', () => {
  // These numbers are the live kernel's: root reading its own view (6 keys + 2 phantom keys in nkeys).
  const host = renderKeys([
    { serial: 0x02dbaca4, flags: 'I------', perm: '1f030000', uid: 0, gid: 0, type: 'keyring', text: '.dns_resolver: empty' },
    { serial: 0x099f62f7, perm: '0c030000', uid: 0, gid: 65534, type: 'keyring', text: '.user_reg: 2' },
    { serial: 0x18d14254, flags: 'I------', perm: '0f0b0000', uid: 0, gid: 0, type: 'keyring', text: '.blacklist: empty' },
    { serial: 0x1bdb5cc9, flags: 'I------', perm: '1f0b0000', uid: 0, gid: 0, type: 'keyring', text: '.builtin_trusted_keys: empty' },
    { serial: 0x1ead93de, usage: 2, perm: '1f3f0000', uid: 0, gid: 65534, type: 'keyring', text: '_uid.0: empty' },
    { serial: 0x3affbd6e, perm: '1f3f0000', uid: 0, gid: 65534, type: 'keyring', text: '_uid_ses.0: 1' },
  ]);
  const hostUsers = users('    0:     9 8/8 3/1000000 40/25000000');

  it('trusts an ordinary host, whose byte totals balance exactly', () => {
    const inv = buildInventory(snapshotOf(host, hostUsers));
    expect(inv.keys.map((k) => k.suspect)).toEqual([[], [], [], [], [], []]);
    expect(inv.summary).toMatchObject({ keys: 6, suspect: 0, byClass: { kernel: 4, user: 1, user_session: 1 }, byState: { instantiated: 6 }, byType: { keyring: 6 } });
  });

  it('a careful forgery claiming a root key is caught by the totals: root owns no such key', () => {
    // uid 40001 grants other-view on a key whose description forges a complete root line with a serial in order.
    const careful = renderKeyLine({ serial: 0x3affbd70, uid: 0, gid: 0, perm: '3f3f0000', type: 'user', text: 'root-secret' });
    const text = host + renderKeys([
      { serial: 0x3affbd6f, uid: 40001, gid: 40001, perm: '3f010001', text: `innocent: 5\n${careful}: 5` },
    ]);
    const inv = buildInventory(snapshotOf(text, users('    0:     9 8/8 3/1000000 40/25000000', '40001:     4 4/4 4/200 300/20000')));
    // Root cannot have a fourth in-quota key; as text inside the carrier's description everything adds up.
    expect(inv.keys.map((k) => k.serial)).not.toContain('3affbd70');
    const carrier = inv.keys.find((k) => k.serial === '3affbd6f');
    expect(carrier?.description).toBe(`innocent: 5\n${careful}`);
    expect(carrier?.suspect.map((s) => s.code)).toEqual(['carries_record_text']);
    expect(inv.summary.keys).toBe(6); // the six host keys; neither the forged line nor its carrier is counted
  });

  it('when the carrier\'s totals are fully visible, folding the forged line back makes them balance: the record is rebuilt', () => {
    const careful = renderKeyLine({ serial: 0x3affbd70, uid: 0, gid: 0, perm: '3f3f0000', type: 'user', text: 'evil' });
    const realDescription = `innocent: 5\n${careful}`;
    const text = host + renderKeys([{ serial: 0x3affbd6f, uid: 40001, gid: 40001, perm: '3f010001', text: `${realDescription}: 5` }]);
    const qnbytes = realDescription.length + 1 + 5;
    const inv = buildInventory(snapshotOf(text, users('    0:    10 9/9 4/1000000 60/25000000', `40001:     1 1/1 1/200 ${qnbytes}/20000`)));
    expect(inv.keys.map((k) => k.serial)).not.toContain('3affbd70');
    const carrier = inv.keys.find((k) => k.serial === '3affbd6f');
    expect(carrier).toMatchObject({ description: realDescription, lineCount: 2, embeddedRecordLines: [8] });
    expect(carrier?.suspect.map((s) => s.code)).toEqual(['carries_record_text']);
  });

  it('does not judge a uid whose counters moved while /proc/keys was read (the files are not one snapshot)', () => {
    const text = host + renderKeys([{ serial: 0x3affbd70, uid: 0, gid: 0, perm: '3f010000', text: 'just-added: 4' }]);
    const before = users('    0:     9 8/8 3/1000000 40/25000000');
    const after = users('    0:    10 9/9 4/1000000 56/25000000');
    expect(buildInventory(snapshotOf(text, before)).keys.some((k) => k.suspect.length > 0)).toBe(true);
    const inv = buildInventory(snapshotOf(text, before, {}, 1_800_000_000, after));
    expect(inv.unstableUids).toEqual([0]);
    expect(inv.keys.map((k) => k.suspect)).toEqual(inv.keys.map(() => []));
  });

  it('a careful forgery that no totals contradict is still marked when a fold explains them', () => {
    // Here the carrier's uid sees every in-quota key with exact charges, and only the fold makes them add up.
    const careful = renderKeyLine({ serial: 0x10000001, uid: 40002, gid: 40002, perm: '3f010000', type: 'user', text: 'other' });
    const realDescription = `innocent: 5\n${careful}`;
    const text = renderKeys([{ serial: 0x10000000, uid: 40001, gid: 40001, perm: '3f010001', text: `${realDescription}: 5` }]);
    const u = users(`40001:     1 1/1 1/200 ${realDescription.length + 6}/20000`, '40002:     9 9/9 9/200 900/20000');
    const inv = buildInventory(snapshotOf(text, u));
    expect(inv.keys.map((k) => [k.serial, k.suspect.map((s) => s.code)])).toEqual([['10000000', ['carries_record_text']]]);
  });

  it('more bytes listed than charged is impossible, whatever the reader cannot see', () => {
    const text = renderKeys([{ serial: 0x10, uid: 40005, gid: 40005, text: 'big: 5000' }]);
    const inv = buildInventory(snapshotOf(text, users('40005:     3 3/3 3/200 900/20000')));
    expect(inv.keys[0]?.suspect.map((s) => s.code)).toEqual(['key_users_bytes_mismatch']);
  });

  it('a key whose owner has no /proc/key-users line is suspect', () => {
    const text = renderKeys([{ serial: 0x10, uid: 4242, gid: 4242, text: 'k: 1' }]);
    const inv = buildInventory(snapshotOf(text, hostUsers));
    expect(inv.keys[0]?.suspect.map((s) => s.code)).toEqual(['uid_not_in_key_users']);
  });

  it('two records claiming one user keyring are both suspect', () => {
    const dup = host + renderKeys([{ serial: 0x3affbd70, usage: 2, perm: '1f3f0000', uid: 0, gid: 65534, type: 'keyring', text: '_uid.0: empty' }]);
    const inv = buildInventory(snapshotOf(dup, undefined));
    expect(inv.keys.filter((k) => k.suspect.some((s) => s.code === 'duplicate_singleton')).map((k) => k.serial)).toEqual(['1ead93de', '3affbd70']);
  });

  it('a record missing its summary is suspect and not counted', () => {
    const inv = buildInventory(snapshotOf(renderKeys([{ serial: 1, text: 'no summary' }]), undefined));
    expect(inv.keys[0]?.suspect.map((s) => s.code)).toEqual(['missing_summary']);
    expect(inv.summary.keys).toBe(0);
    expect(inv.issues.map((i) => i.code)).toEqual(['missing_summary']);
  });

  it('marks impostors of reserved names', () => {
    const inv = buildInventory(snapshotOf(renderKeys([{ serial: 1, type: 'keyring', uid: 40003, gid: 40003, text: '_persistent.0: empty' }]), undefined));
    expect(inv.keys[0]).toMatchObject({ class: 'keyring', claimedClass: 'persistent', impostor: true });
  });

  it('missing files are data, not errors', () => {
    const inv = buildInventory(snapshotOf(undefined, hostUsers));
    expect(inv.keys).toEqual([]);
    expect(inv.files.keys.status).toBe('absent');
    expect(inv.users).toHaveLength(1);
  });
});
