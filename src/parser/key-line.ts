/**
 * The fixed prefix of a /proc/keys record, as security/keys/proc.c proc_keys_show() prints it:
 *
 *   "%08x %c%c%c%c%c%c%c %5d %4s %08x %5d %5d %-9.9s " then the type's describe() output and "\n"
 *
 * (kernel-format.md §1.2), and the 6-character flags and 6-digit perms of older kernels. One scanner for every
 * input, and one layout: a line is a record only as printf prints it. A paste's damage (indentation, tabs, runs
 * of blanks collapsed or re-aligned by hand, leading zeros, a type column that lost its padding) gives a line no
 * kernel printed, and a record must reproduce its line (key-record.ts formatKeyHeader()), so none is accepted.
 * What pastes do between lines (CRLF, wrapping, grep) is proc-keys.ts's business.
 */

export interface KeyLineHeader {
  /** The serial as printed: 8 lower-case hex digits. */
  serial: string;
  serialNumber: number;
  flagsRaw: string;
  usage: number;
  expiryRaw: string;
  permHex: string;
  uid: number;
  gid: number;
  /** The type column without its padding (at most 9 characters: the kernel truncates longer names). */
  typeRaw: string;
  /** Offset of the first character after the prefix: where the describe() output starts. */
  textStart: number;
}

/**
 * The kernel's layout. A numeric column is right-aligned in its minimum width, wider values printed in full, and
 * has no leading zero and no "-0" (printf prints neither); an expiry count is "%lu" of at least 1.
 */
const LAYOUT =
  /([0-9a-f]{8}) ([IRDQUNi-]{7}|[IRDQUNi-]{6}) ( *)(0|[1-9]\d{0,9}) ( *)(perm|expd|[1-9]\d{0,9}[smhdw]) ([0-9a-f]{8}|[0-9a-f]{6}) ( *)(0|-?[1-9]\d{0,9}) ( *)(0|-?[1-9]\d{0,9}) ([\x21-\x7e][\x21-\x7e ]{8}) /y;

/** Whether `pad` is exactly the padding %Nd or %Ns puts before `value`. */
function padded(pad: string, value: string, width: number): boolean {
  return pad.length === Math.max(0, width - value.length);
}

/**
 * Scan the prefix of the line text[start, end); null when it is not one. Never throws. `strict` (the kernel's
 * own output, with its answers) and not (a paste) accept the same layout: leniency with the columns would make
 * records that do not reproduce their lines; a paste's leniency is in how proc-keys.ts joins lines into records.
 */
export function scanKeyLine(text: string, start: number, end: number, strict: boolean): KeyLineHeader | null {
  void strict;
  if (end - start < 20) return null;
  LAYOUT.lastIndex = start;
  const m = LAYOUT.exec(text);
  if (m === null || LAYOUT.lastIndex > end) return null;
  const [, serial, flagsRaw, usagePad, usage, expiryPad, expiryRaw, permHex, uidPad, uid, gidPad, gid, typeColumn] = m as unknown as string[];
  const column = typeColumn as string;
  const typeRaw = column.replace(/ +$/, '');
  // %-9.9s: the name, then spaces only.
  if (typeRaw.includes(' ')) return null;
  if (
    !padded(usagePad as string, usage as string, 5) ||
    !padded(expiryPad as string, expiryRaw as string, 4) ||
    !padded(uidPad as string, uid as string, 5) ||
    !padded(gidPad as string, gid as string, 5)
  )
    return null;
  const uidN = Number(uid);
  const gidN = Number(gid);
  if (!Number.isSafeInteger(uidN) || !Number.isSafeInteger(gidN)) return null;
  return {
    serial: serial as string,
    serialNumber: Number.parseInt(serial as string, 16),
    flagsRaw: flagsRaw as string,
    usage: Number(usage),
    expiryRaw: expiryRaw as string,
    permHex: permHex as string,
    uid: uidN,
    gid: gidN,
    typeRaw,
    textStart: LAYOUT.lastIndex,
  };
}

/** A line that starts like a record ("%08x " and the flags), whatever follows: text that forges one, or a damaged one. */
export function startsLikeRecord(text: string, start: number, end: number): boolean {
  return end - start >= 15 && /^[ \t]*[0-9a-f]{8}[ \t]+[IRDQUNi-]{6,7}[ \t]/.test(text.slice(start, Math.min(end, start + 40)));
}

/** Flag letters by position (key-flags.ts), any of which may be '-'. */
const FLAGS_AS_PRINTED = /^[0-9a-f]{8} [I-][R-][D-][Q-][U-][N-][i-]? /;

/** "%08x " then 6 or 7 flag characters, each its own letter or '-', and a space, at the start of the line. */
export function startsAsPrinted(text: string, start: number, end: number): boolean {
  return end - start >= 16 && FLAGS_AS_PRINTED.test(text.slice(start, Math.min(end, start + 17)));
}
