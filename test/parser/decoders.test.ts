import { describe, expect, it } from 'vitest';
import { decodeKeyExpiry, formatKeyExpiry } from '../../src/parser/key-expiry.js';
import { decodeKeyFlags } from '../../src/parser/key-flags.js';
import { decodeKeyPermissions, formatPermissionByte } from '../../src/parser/key-permissions.js';
import { decodeKeyType } from '../../src/parser/key-type.js';
import { splitDescriptionSummary } from '../../src/parser/key-summary.js';
import { decodeUtf8, escapeByteString } from '../../src/parser/byte-string.js';

describe('decodeKeyFlags', () => {
  it.each([
    ['I--Q---', { instantiated: true, revoked: false, dead: false, inQuota: true, underConstruction: false, negative: false, invalidated: false }],
    ['IRDQUNi', { instantiated: true, revoked: true, dead: true, inQuota: true, underConstruction: true, negative: true, invalidated: true }],
    ['---QU--', { instantiated: false, revoked: false, dead: false, inQuota: true, underConstruction: true, negative: false, invalidated: false }],
    ['I--Q-N', { instantiated: true, revoked: false, dead: false, inQuota: true, underConstruction: false, negative: true, invalidated: false }],
  ])('%s', (raw, expected) => expect(decodeKeyFlags(raw)).toEqual(expected));
  it.each(['I--Q----', 'Q------', 'I--q---', 'I--Q--I', ''])('rejects %j', (raw) =>
    expect(decodeKeyFlags(raw)).toBeNull(),
  );
});

describe('decodeKeyPermissions', () => {
  it('decodes each byte as possessor, user, group, other', () => {
    const p = decodeKeyPermissions('3f010000');
    expect(p).toEqual({
      hex: '3f010000',
      mask: 0x3f010000,
      possessor: { view: true, read: true, write: true, search: true, link: true, setattr: true },
      user: { view: true, read: false, write: false, search: false, link: false, setattr: false },
      group: { view: false, read: false, write: false, search: false, link: false, setattr: false },
      other: { view: false, read: false, write: false, search: false, link: false, setattr: false },
      invalidBits: 0,
    });
  });
  it('reports bits KEYCTL_SETPERM rejects', () => expect(decodeKeyPermissions('ff010000')?.invalidBits).toBe(0xc0000000));
  it('accepts the 6-digit pre-2.6.14 form', () => expect(decodeKeyPermissions('1f0000')?.mask).toBe(0x1f0000));
  it.each(['3F010000', '3f01000', '3f0100000', 'zz010000'])('rejects %j', (hex) => expect(decodeKeyPermissions(hex)).toBeNull());
  it('formats like keyctl show', () => expect(formatPermissionByte(decodeKeyPermissions('3f1b0000')!.user)).toBe('-ls-rv'));
});

describe('decodeKeyExpiry', () => {
  it.each([
    ['perm', { raw: 'perm', kind: 'perm', seconds: null, maxSeconds: null, unit: null }],
    ['expd', { raw: 'expd', kind: 'expd', seconds: 0, maxSeconds: 0, unit: null }],
    ['45s', { raw: '45s', kind: 'timeout', seconds: 45, maxSeconds: 45, unit: 's' }],
    ['59m', { raw: '59m', kind: 'timeout', seconds: 3540, maxSeconds: 3599, unit: 'm' }],
    ['9h', { raw: '9h', kind: 'timeout', seconds: 32400, maxSeconds: 35999, unit: 'h' }],
    ['2d', { raw: '2d', kind: 'timeout', seconds: 172800, maxSeconds: 259199, unit: 'd' }],
    ['7101w', { raw: '7101w', kind: 'timeout', seconds: 7101 * 604800, maxSeconds: 7102 * 604800 - 1, unit: 'w' }],
  ])('%s', (raw, expected) => expect(decodeKeyExpiry(raw)).toEqual(expected));
  it.each(['0s', '60s', '60m', '24h', '7d', '1y', 's', '-1s', 'PERM'])('rejects %j (never printed)', (raw) =>
    expect(decodeKeyExpiry(raw)).toBeNull(),
  );
  it.each([
    [null, 'perm'],
    [0, 'expd'],
    [59, '59s'],
    [60, '1m'],
    [3599, '59m'],
    [259200, '3d'],
    [259199, '2d'],
    [604800, '1w'],
  ])('formats %j seconds as the kernel does', (s, raw) => expect(formatKeyExpiry(s)).toBe(raw));
});

describe('decodeKeyType', () => {
  it.each([
    ['asymmetri', 'asymmetric', true],
    ['.request_', '.request_key_auth', true],
    ['dns_resol', 'dns_resolver', true],
    ['id_resolv', 'id_resolver', true],
    ['cifs.spne', 'cifs.spnego', true],
    ['cifs.idma', 'cifs.idmap', true],
    ['fscrypt-p', 'fscrypt-provisioning', true],
    ['keyring  ', 'keyring', true],
    ['encrypted', 'encrypted', true],
    ['mykey    ', 'mykey', false],
  ])('%j is %s', (column, name, known) => expect(decodeKeyType(column)).toMatchObject({ name, known }));
  it('flags unknown 9-character names as possibly truncated', () =>
    expect(decodeKeyType('somethin9')).toEqual({ raw: 'somethin9', name: 'somethin9', known: false, maybeTruncated: true }));
});

describe('splitDescriptionSummary', () => {
  it.each([
    ['keyring', '_ses: 1', { description: '_ses', summary: { kind: 'keyring', links: 1 }, summaryText: ': 1' }],
    ['keyring', '.blacklist: empty', { description: '.blacklist', summary: { kind: 'keyring', links: 0 }, summaryText: ': empty' }],
    ['keyring', '_uid.0: 1/4', { description: '_uid.0', summary: { kind: 'keyring', links: 1, capacity: 4 }, summaryText: ': 1/4' }],
    ['user', 'krb_ccache:primary: 12', { description: 'krb_ccache:primary', summary: { kind: 'length', bytes: 12 }, summaryText: ': 12' }],
    ['user', 'a: 1: 2', { description: 'a: 1', summary: { kind: 'length', bytes: 2 }, summaryText: ': 2' }],
    ['dns_resolver', 'afsdb:cell: -61', { description: 'afsdb:cell', summary: { kind: 'error', errno: 61 }, summaryText: ': -61' }],
    ['big_key', 'krb-blob: 65536 [file]', { description: 'krb-blob', summary: { kind: 'big_key', bytes: 65536, storage: 'file' }, summaryText: ': 65536 [file]' }],
    [
      'asymmetric',
      'Build time autogenerated kernel key: 5f1e: X509.rsa a1b2c3d4 []',
      { description: 'Build time autogenerated kernel key: 5f1e', summary: { kind: 'asymmetric', subtype: 'X509.rsa', keyIdTail: 'a1b2c3d4' }, summaryText: ': X509.rsa a1b2c3d4 []' },
    ],
    [
      '.request_key_auth',
      'key:32d45e87 pid:48211 ci:5',
      { description: '32d45e87', summary: { kind: 'request_key_auth', targetSerial: '32d45e87', pid: 48211, calloutLength: 5 }, summaryText: 'key: pid:48211 ci:5' },
    ],
    ['fscrypt-provisioning', 'p: 32 [2]', { description: 'p', summary: { kind: 'fscrypt_provisioning', bytes: 32, specType: 2 }, summaryText: ': 32 [2]' }],
    ['blacklist', 'bin:abcd', { description: 'bin:abcd', summary: null, summaryText: '' }],
  ])('%s %j', (type, text, expected) =>
    expect(splitDescriptionSummary(type, text, true, false)).toEqual({ ...expected, complete: true }),
  );
  it('requires the summary of a positive user key', () =>
    expect(splitDescriptionSummary('user', 'no summary', true, false).complete).toBe(false));
  it('does not look for a summary on a negative key', () =>
    expect(splitDescriptionSummary('user', 'debug:x: 5', false, false)).toEqual({ description: 'debug:x: 5', summary: null, summaryText: '', complete: true }));
  it('accepts a released (revoked) auth key printing nothing', () =>
    expect(splitDescriptionSummary('.request_key_auth', '', true, true)).toMatchObject({ description: '', complete: true }));
});

describe('byte strings', () => {
  it('decodes valid UTF-8 and refuses invalid bytes', () => {
    expect(decodeUtf8('\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87')).toBe('ключ');
    expect(decodeUtf8('\xff\xfe')).toBeNull();
  });
  it('escapes controls, ANSI sequences, bidi overrides and invalid bytes for terminals', () => {
    expect(escapeByteString('a\nb\x1b[31mc\\')).toBe('a\\x0ab\\x1b[31mc\\\\');
    expect(escapeByteString('\xe2\x80\xae')).toBe('\\u{202e}');
    expect(escapeByteString('ok\xff')).toBe('ok\\xff');
  });
});
