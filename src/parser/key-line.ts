/**
 * One physical line of /proc/keys that starts like a record. security/keys/proc.c proc_keys_show() prints
 *
 *   "%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s " then the type's describe() output, then "\n"
 *
 * so the prefix is fixed-width except where a number outgrows its minimum width (kernel-format.md §1.2).
 * The scanner enforces exactly those widths: a line whose padding a kernel could not have produced
 * (collapsed or re-aligned by a person, indented, tab-prefixed) is not a record.
 */
import { decodeKeyExpiry, type KeyExpiry } from './key-expiry.js';
import { decodeKeyFlags, type KeyFlags } from './key-flags.js';
import { decodeKeyPermissions, type KeyPermissions } from './key-permissions.js';
import { decodeKeyType, type DecodedKeyType } from './key-type.js';

export interface KeyLineHeader {
  serial: string;
  serialNumber: number;
  flagsRaw: string;
  flags: KeyFlags;
  usage: number;
  expiry: KeyExpiry;
  perm: KeyPermissions;
  uid: number;
  gid: number;
  type: DecodedKeyType;
  /** Index in the line where the description starts (after the type column's trailing space). */
  textStart: number;
}

const SP = 0x20;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

/**
 * Read a right-aligned field printed with minimum width `width` starting at `pos` (just after the separating
 * space). Returns the field text and the index after it, or null when the padding is not what printf makes.
 */
function readAligned(line: string, pos: number, width: number, numeric: boolean): [string, number] | null {
  let p = pos;
  while (p < line.length && line.charCodeAt(p) === SP) p++;
  const start = p;
  if (numeric && p < line.length && line.charCodeAt(p) === 0x2d) p++;
  const digitsStart = p;
  while (p < line.length) {
    const c = line.charCodeAt(p);
    if (c === SP) break;
    if (numeric && (c < 0x30 || c > 0x39)) return null;
    p++;
  }
  if (p === digitsStart) return null;
  const len = p - start;
  const pad = start - pos;
  // printf pads to `width`; a longer value is printed in full with no padding.
  if (pad !== Math.max(0, width - len)) return null;
  return [line.slice(start, p), p];
}

function toInt(s: string): number | null {
  if (s.length > 11) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= -2147483648 && n <= 4294967295 ? n : null;
}

/** Scan the fixed prefix of a /proc/keys line; `null` if the line is not a record header. */
export function scanKeyLine(line: string): KeyLineHeader | null {
  // serial: %08x
  if (line.length < 8 + 1 + 6 + 1 + 5 + 1 + 4 + 1 + 6 + 1 + 5 + 1 + 5 + 1 + 9 + 1) return null;
  for (let i = 0; i < 8; i++) if (!isHex(line.charCodeAt(i))) return null;
  if (line.charCodeAt(8) !== SP) return null;
  const serial = line.slice(0, 8);
  // flags: 7 characters, 6 before Linux 3.5
  const flagsLen = line.charCodeAt(15) === SP ? 6 : 7;
  if (flagsLen === 7 && line.charCodeAt(16) !== SP) return null;
  const flagsRaw = line.slice(9, 9 + flagsLen);
  const flags = decodeKeyFlags(flagsRaw);
  if (flags === null) return null;
  let pos = 9 + flagsLen + 1;
  // usage: %5d
  const usage = readAligned(line, pos, 5, true);
  if (usage === null || line.charCodeAt(usage[1]) !== SP) return null;
  // expiry: %4s
  const expiryField = readAligned(line, usage[1] + 1, 4, false);
  if (expiryField === null || line.charCodeAt(expiryField[1]) !== SP) return null;
  const expiry = decodeKeyExpiry(expiryField[0]);
  if (expiry === null) return null;
  // perm: %08x (%06x before 2.6.14)
  pos = expiryField[1] + 1;
  let permEnd = pos;
  while (permEnd < line.length && isHex(line.charCodeAt(permEnd))) permEnd++;
  if (line.charCodeAt(permEnd) !== SP) return null;
  const perm = decodeKeyPermissions(line.slice(pos, permEnd));
  if (perm === null) return null;
  // uid, gid: %5d each (signed: ids >= 2^31 print negative; (gid_t)-1 printed -1 before the kuid conversion)
  const uidField = readAligned(line, permEnd + 1, 5, true);
  if (uidField === null || line.charCodeAt(uidField[1]) !== SP) return null;
  const gidField = readAligned(line, uidField[1] + 1, 5, true);
  if (gidField === null || line.charCodeAt(gidField[1]) !== SP) return null;
  // type: %-9.9s then one space, always present even when describe() prints nothing
  const typeStart = gidField[1] + 1;
  if (line.length < typeStart + 10 || line.charCodeAt(typeStart + 9) !== SP) return null;
  const typeColumn = line.slice(typeStart, typeStart + 9);
  // %-9.9s: left-aligned, so the name cannot start with a space, and padding is only at the end
  if (typeColumn.charCodeAt(0) === SP || /[^ ] +[^ ]/.test(typeColumn)) return null;
  const type = decodeKeyType(typeColumn);
  const usageN = toInt(usage[0]);
  const uid = toInt(uidField[0]);
  const gid = toInt(gidField[0]);
  if (usageN === null || uid === null || gid === null) return null;
  return {
    serial,
    serialNumber: Number.parseInt(serial, 16),
    flagsRaw,
    flags,
    usage: usageN,
    expiry,
    perm,
    uid,
    gid,
    type,
    textStart: typeStart + 10,
  };
}
