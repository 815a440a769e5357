import { describe, expect, it } from 'vitest';
import { quoted } from '../../../src/audit/checks/key-groups.js';

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
