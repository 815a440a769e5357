/**
 * JSON documents written in pieces (src/report/json-chunks.ts): the same text as JSON.stringify(value, null, 2)
 * plus a newline, byte for byte, and no piece much larger than the chunk size or one array element.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonChunks, LazyArray } from '../../src/report/json-chunks.js';

const stringify = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
const joined = (v: unknown, size?: number): string => [...jsonChunks(v, size)].join('');

describe('jsonChunks', () => {
  it('writes what JSON.stringify writes, for any JSON value, whatever the chunk size', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 200 }), (v, size) => {
        expect(joined(v, size)).toBe(stringify(v));
      }),
      { numRuns: 500 },
    );
  });

  it("follows JSON.stringify's rules for what JSON has no value for, and toJSON", () => {
    const date = new Date(1_800_000_000_000);
    const doc = {
      a: undefined,
      f: () => 1,
      s: Symbol('x'),
      n: Number.NaN,
      inf: -Infinity,
      list: [undefined, () => 1, Symbol('y'), 1, { b: undefined, c: [], d: {} }],
      date,
      nested: { when: date, deep: { e: [1, [2, [3]]] }, none: undefined },
      empty: [],
      emptyObject: {},
      nul: null,
    };
    expect(joined(doc, 7)).toBe(stringify(doc));
    expect(joined([])).toBe(stringify([]));
    expect(joined({})).toBe(stringify({}));
    expect(joined('text')).toBe(stringify('text'));
    expect(joined(undefined)).toBe('null\n');
  });

  it('writes a LazyArray as the array it stands for, making its elements as they are written', () => {
    const made: number[] = [];
    const lazy = new LazyArray([1, 2, 3], (n) => {
      made.push(n);
      return { n, twice: [n, n] };
    });
    const doc = { keys: lazy, after: true };
    const chunks = jsonChunks(doc, 1);
    const first = chunks.next();
    expect(first.done).toBe(false);
    expect(made.length).toBeLessThan(3);
    const text = (first.value as string) + [...chunks].join('');
    expect(text).toBe(stringify({ keys: [1, 2, 3].map((n) => ({ n, twice: [n, n] })), after: true }));
    expect(JSON.stringify(lazy)).toBe(JSON.stringify([1, 2, 3].map((n) => ({ n, twice: [n, n] }))));
  });

  it('writes each element of a one-line LazyArray on a line of its own, the rest as JSON.stringify does', () => {
    const lazy = new LazyArray([1, 2], (n) => ({ n, nested: { twice: [n, n] } }), true);
    const text = [...jsonChunks({ keys: lazy, after: { a: 1 } })].join('');
    expect(text).toBe('{\n  "keys": [\n    {"n":1,"nested":{"twice":[1,1]}},\n    {"n":2,"nested":{"twice":[2,2]}}\n  ],\n  "after": {\n    "a": 1\n  }\n}\n');
    expect(JSON.parse(text)).toEqual({ keys: [1, 2].map((n) => ({ n, nested: { twice: [n, n] } })), after: { a: 1 } });
  });

  it('never holds the whole document in one piece: pieces stay near the chunk size', () => {
    const keys = new LazyArray(Array.from({ length: 50_000 }, (_, i) => i), (i) => ({ serial: i, description: `key number ${i}`, perm: { possessor: ['view', 'read'] } }));
    let total = 0;
    let largest = 0;
    for (const piece of jsonChunks({ schemaVersion: 1, keys }, 64 * 1024)) {
      total += piece.length;
      largest = Math.max(largest, piece.length);
    }
    expect(total).toBeGreaterThan(5_000_000);
    expect(largest).toBeLessThan(64 * 1024 + 1024);
  });
});
