import { describe, expect, it } from 'vitest';
import { nameShape, quoted, whatTheyAre } from '../../../src/audit/checks/key-groups.js';
import type { InventoryKey } from '../../../src/classify/inventory.js';

describe('quoted', () => {
  it('shows the start of a description, escaped, with an ellipsis when it is cut', () => {
    expect(quoted({ description: 'short' })).toBe('"short"');
    expect(quoted({ description: 'a\nb' })).toBe('"a\\x0ab"');
    const long = `forged${'\n00000001 I--Q---     1 perm 3f010000     0     0 user      x'.repeat(60)}`.slice(0, 4000);
    const q = quoted({ description: long }, 40);
    expect(q).toBe('"forged\\x0a00000001 I--Q---     1 perm 3…"');
  });

  it('escapes the same start however long the description (the cut falls before a UTF-8 character, not inside it)', () => {
    // "é" is two bytes in UTF-8 (0xc3 0xa9), as a latin1 byte string two characters.
    const e = '\u00c3\u00a9';
    const d = `${'x'.repeat(239)}${e}${'y'.repeat(3000)}`;
    expect(quoted({ description: d }, 60)).toBe(`"${'x'.repeat(59)}…"`);
    expect(quoted({ description: `${e.repeat(200)}tail` }, 10)).toBe(`"${'é'.repeat(9)}…"`);
  });
});

describe('nameShape and whatTheyAre', () => {
  const key = (cls: string, type: string, description: string) => ({ class: cls, type: { name: type }, description }) as unknown as InventoryKey;

  it('groups the keyrings a runtime names per container, and keys named per ticket', () => {
    expect(nameShape(`_ses.${'ab12'.repeat(16)}`)).toBe('_ses.<64 hex>');
    expect(nameShape('krb_ccache:primary:1234')).toBe('krb_ccache:primary:<n>');
    expect(nameShape('invocation_id:0123456789abcdef0123456789abcdef')).toBe('invocation_id:<32 hex>');
    expect(nameShape('_uid.40001')).toBe('_uid.<n>');
  });

  it('says what the keys are, the largest groups first, escaped', () => {
    const keys = [
      ...Array.from({ length: 196 }, (_, i) => key('session', 'keyring', `_ses.${i.toString(16).padStart(64, 'a')}`)),
      key('key', 'user', 'krb_ccache:primary:1'),
      key('key', 'user', 'krb_ccache:primary:2'),
      key('key', 'logon', 'cifs:a:\u001b[2J'),
      key('keyring', 'keyring', 'mine'),
    ];
    expect(whatTheyAre(keys)).toBe('196 session keyrings named "_ses.<64 hex>", 2 user keys named "krb_ccache:primary:<n>", 1 keyring keyring named "mine" and 1 more');
    expect(whatTheyAre([keys[198] as InventoryKey])).toBe('1 logon key named "cifs:a:\\x1b[<n>J"');
  });
});
