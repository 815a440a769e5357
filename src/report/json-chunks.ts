/**
 * `JSON.stringify(value, null, 2) + '\n'`, written in pieces.
 *
 * The `keys` and `audit` documents list every key. At 1,000,000 keys (root's limit on a container host) the
 * document is over 1 GB of text, and V8 cannot make a string that long: `keys --format json` and
 * `audit --format json` ended with "RangeError: Invalid string length" (exit 70). In pieces, no string is larger
 * than one element of an array, and the text is written as it is made.
 *
 * The text is the same as JSON.stringify's, byte for byte (test/report/json-chunks.test.ts), but for the
 * elements of a LazyArray made `oneLine`, each written on a line of its own without inner indentation (a key of
 * the `keys` document: some 500 bytes instead of 800, and one line to grep). The top-level object and its direct
 * members that are objects are written member by member, every array element by element, and everything else by
 * JSON.stringify itself, indented to its depth (JSON text never holds a raw newline, so re-indenting is
 * inserting the padding after each newline).
 */

/** An array whose elements are made as they are written: `keys` documents one key at a time. */
export class LazyArray<T, U> {
  constructor(
    private readonly source: readonly T[],
    private readonly map: (t: T) => U,
    /** Write each element on one line. */
    readonly oneLine = false,
  ) {}

  get length(): number {
    return this.source.length;
  }

  *[Symbol.iterator](): Generator<U> {
    for (const t of this.source) yield this.map(t);
  }

  /** What JSON.stringify writes for it: the array it stands for. */
  toJSON(): U[] {
    return this.source.map(this.map);
  }
}

const INDENT = '  ';

/** JSON.stringify's rule for a value it is given under `key` (toJSON first). */
function resolve(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && !(value instanceof LazyArray) && typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return (value as { toJSON: (k: string) => unknown }).toJSON(key);
  return value;
}

/** Values JSON.stringify leaves out of an object (and writes as null in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** `v` already resolved (toJSON called once, as JSON.stringify calls it) and not omitted. */
function* write(v: unknown, pad: string, depth: number): Generator<string> {
  if (Array.isArray(v) || v instanceof LazyArray) {
    if (v.length === 0) {
      yield '[]';
      return;
    }
    const inner = pad + INDENT;
    let i = 0;
    yield '[\n';
    for (const element of v as Iterable<unknown>) {
      yield inner;
      const e = resolve(element, String(i));
      if (omitted(e)) yield 'null';
      else if (v instanceof LazyArray && v.oneLine) yield JSON.stringify(e);
      else yield* write(e, inner, depth + 1);
      yield ++i < v.length ? ',\n' : '\n';
    }
    yield pad + ']';
    return;
  }
  if (depth <= 1 && v !== null && typeof v === 'object') {
    const entries = Object.entries(v)
      .map(([k, x]) => [k, resolve(x, k)] as const)
      .filter(([, x]) => !omitted(x));
    if (entries.length === 0) {
      yield '{}';
      return;
    }
    const inner = pad + INDENT;
    yield '{\n';
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i] as readonly [string, unknown];
      yield `${inner}${JSON.stringify(k)}: `;
      yield* write(x, inner, depth + 1);
      yield i < entries.length - 1 ? ',\n' : '\n';
    }
    yield pad + '}';
    return;
  }
  const text = JSON.stringify(v, null, 2) ?? 'null';
  yield pad === '' ? text : text.replace(/\n/g, '\n' + pad);
}

/** The pieces of `JSON.stringify(value, null, 2) + '\n'`, joined into strings of about `size` characters. */
export function* jsonChunks(value: unknown, size = 64 * 1024): Generator<string> {
  let buffer = '';
  for (const piece of write(resolve(value, ''), '', 0)) {
    buffer += piece;
    if (buffer.length >= size) {
      yield buffer;
      buffer = '';
    }
  }
  yield buffer + '\n';
}
