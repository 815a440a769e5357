/**
 * /proc/keys is bytes, not UTF-8: descriptions are written raw by the kernel (kernel-format.md §1.10).
 * The parser works on "byte strings": JavaScript strings decoded as latin1, one char per byte, so nothing is
 * lost and every byte offset is a string index. These helpers turn byte strings into text for people and
 * machines without losing the original bytes.
 */

/** Byte string → bytes. */
export function byteStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes → byte string (latin1). */
export function bytesToByteString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when the byte string is pure 7-bit ASCII (the common case, decoded for free). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Decode a byte string as UTF-8. Returns `null` when the bytes are not valid UTF-8, so callers can fall
 * back to a lossless encoding (base64 or escapes) instead of silently replacing bytes.
 */
export function decodeUtf8(s: string): string | null {
  if (isAscii(s)) return s;
  try {
    return strictUtf8.decode(byteStringToBytes(s));
  } catch {
    return null;
  }
}

/** Standard base64 of a byte string (no Buffer: the pure layers use only the language's globals). */
export function byteStringToBase64(s: string): string {
  return btoa(s);
}

/**
 * Escape a byte string for a terminal or a log line: printable ASCII stays, backslash and every control,
 * DEL and non-ASCII byte become `\xNN` (valid UTF-8 sequences are kept when `keepUtf8` is set), so
 * attacker-written descriptions can never move the cursor, fake a new line or inject colour codes.
 */
export function escapeByteString(s: string, keepUtf8 = true): string {
  const decoded = keepUtf8 ? decodeUtf8(s) : null;
  if (decoded !== null) {
    let out = '';
    for (const ch of decoded) {
      const cp = ch.codePointAt(0) ?? 0;
      if (ch === '\\') out += '\\\\';
      else if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || isBidiOrInvisible(cp)) {
        out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
      } else out += ch;
    }
    return out;
  }
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}

/** Bidirectional overrides and zero-width characters can make a terminal show text that is not there. */
function isBidiOrInvisible(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff
  );
}
