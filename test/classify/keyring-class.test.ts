import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../src/classify/keyring-class.js';
import { classifyKeyState } from '../../src/classify/key-state.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import { renderKeyLine } from '../helpers/render-key-line.js';

function classifyLine(fields: Parameters<typeof renderKeyLine>[0]) {
  const r = parseProcKeys(renderKeyLine(fields) + '\n').records[0];
  if (r === undefined) throw new Error('line did not parse');
  return { ...classifyKey(r), state: classifyKeyState(r) };
}

describe('classifyKey', () => {
  it.each([
    ['anonymous session', { type: 'keyring', perm: '3f030000', text: '_ses: 1' }, 'session', 'session'],
    ['runc named session', { type: 'keyring', perm: '3f1b0000', text: `_ses.${'ab'.repeat(32)}: 1` }, 'session', 'session'],
    ['crun keyring named after the container', { type: 'keyring', perm: '3f130000', text: 'Sandbox-primary-Fo2JkZOW: empty' }, 'session', 'session'],
    ['keyctl session NAME', { type: 'keyring', perm: '3f130000', text: 'project-x: empty' }, 'session', 'session'],
    ['ordinary keyring', { type: 'keyring', perm: '3f010000', text: 'mine: empty' }, 'keyring', 'keyring'],
    ['user keyring', { type: 'keyring', perm: '1f3f0000', uid: 1000, gid: 65534, text: '_uid.1000: 2' }, 'user', 'user'],
    ['user session keyring', { type: 'keyring', perm: '1f3f0000', uid: 1000, gid: 65534, text: '_uid_ses.1000: 1' }, 'user_session', 'user_session'],
    ['pre-3.6 invalid gid -1', { type: 'keyring', flags: 'I--Q--', perm: '1f3f0000', uid: 32, gid: -1, text: '_uid.32: 1/4' }, 'user', 'user'],
    ['persistent keyring', { type: 'keyring', flags: 'I------', expiry: '2d', perm: '1f030000', uid: 1000, gid: 65534, text: '_persistent.1000: 1' }, 'persistent', 'persistent'],
    ['persistent register', { type: 'keyring', flags: 'I------', perm: '1f030000', uid: 0, gid: 0, text: '.persistent_register: 1' }, 'persistent_register', 'persistent_register'],
    ['process keyring', { type: 'keyring', text: '_pid: empty' }, 'process', 'process'],
    ['legacy process keyring', { type: 'keyring', text: '_pid.412: empty' }, 'process', 'process'],
    ['thread keyring', { type: 'keyring', text: '_tid: 1' }, 'thread', 'thread'],
    ['request-key session', { type: 'keyring', perm: '3f030000', text: '_req.852778631: 1' }, 'request_key', 'request_key'],
    ['kernel keyring', { type: 'keyring', flags: 'I------', perm: '1f0b0000', uid: 0, gid: 0, text: '.builtin_trusted_keys: 1' }, 'kernel', 'kernel'],
    ['.user_reg (charged to quota, still the kernel\'s)', { type: 'keyring', perm: '0c030000', uid: 0, gid: 65534, text: '.user_reg: 2' }, 'kernel', 'kernel'],
    ['not-in-quota fscrypt users keyring', { type: 'keyring', flags: 'I------', perm: '080b0000', uid: 0, gid: 0, text: `fscrypt-${'0f'.repeat(16)}-users: 1` }, 'kernel', 'kernel'],
    ['a key', { type: 'user', text: 'k: 1' }, 'key', 'key'],
    ['a key named like a keyring', { type: 'user', text: '_uid.0: 1' }, 'key', 'key'],
  ])('%s', (_name, fields, cls, claimed) => {
    expect(classifyLine({ serial: 1, ...fields })).toMatchObject({ class: cls, claimedClass: claimed });
  });

  it.each([
    ['_persistent.0 made by an unprivileged user (in quota, own gid)', { uid: 40003, gid: 40003, perm: '3f010000', text: '_persistent.0: empty' }, 'persistent'],
    ['_persistent.N in quota even with gid 65534', { uid: 40003, gid: 65534, perm: '1f030000', text: '_persistent.40003: empty' }, 'persistent'],
    ['_uid.0 made with keyctl newring', { uid: 40003, gid: 40003, perm: '3f010000', text: '_uid.0: empty' }, 'user'],
    ['_uid_ses.0 not in quota', { flags: 'I------', uid: 0, gid: 65534, perm: '1f3f0000', text: '_uid_ses.0: 1' }, 'user_session'],
    ['_req.123 made with keyctl newring', { uid: 40108, gid: 40108, perm: '3f010000', text: '_req.123: empty' }, 'request_key'],
  ])('impostor: %s', (_name, fields, claimed) => {
    expect(classifyLine({ serial: 1, type: 'keyring', ...fields })).toMatchObject({ class: 'keyring', claimedClass: claimed });
  });

  it('honours a non-default overflowgid', () => {
    const r = parseProcKeys(renderKeyLine({ serial: 1, type: 'keyring', uid: 5, gid: 99, perm: '1f3f0000', text: '_uid.5: 1' }) + '\n').records[0]!;
    expect(classifyKey(r, { overflowGid: 99 }).class).toBe('user');
    expect(classifyKey(r).class).toBe('keyring');
  });
});

describe('classifyKeyState', () => {
  it.each([
    ['I--Q---', 'perm', 'instantiated'],
    ['I--Q---', 'expd', 'expired'],
    ['I--Q-N-', '58s', 'negative'],
    ['---QU--', 'perm', 'under_construction'],
    ['IR-Q---', 'expd', 'revoked'],
    ['I--Q--i', 'perm', 'invalidated'],
    ['IRDQ--i', 'expd', 'dead'],
    ['IR-Q--i', 'expd', 'invalidated'],
    ['IR-Q-N-', 'expd', 'revoked'],
    ['I--QUN-', '10s', 'negative'],
  ])('%s %s is %s', (flags, expiry, state) => {
    expect(classifyLine({ serial: 1, flags, expiry, perm: '3f010000', text: 'k' }).state).toBe(state);
  });
});
