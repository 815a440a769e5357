/**
 * What the parsers read: the bytes of a file, and a way to copy a range of them out as a byte string (latin1,
 * one char per byte). The I/O layer hands over the Buffer it read with Node's native latin1 copy; tests and
 * pastes give a string. Scanning bytes is about 2.5 times faster than scanning a string's chars, and only the
 * strings a record keeps are ever made.
 */
export interface ByteSource {
  bytes: Uint8Array;
  /** The bytes [start, end) as a byte string. */
  latin1(start: number, end: number): string;
}

/** A byte source over a byte string (each char 0-255). */
export function byteSourceOf(text: string): ByteSource {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return { bytes, latin1: (start, end) => text.slice(start, end) };
}
