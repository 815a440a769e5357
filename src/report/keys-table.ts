/**
 * The `keys` table for a terminal. Every description is escaped (attacker-written bytes never reach the
 * terminal raw) and shortened; colour only when asked for (the CLI asks on a TTY).
 */
import type { Inventory, InventoryKey } from '../classify/inventory.js';
import { escapeByteString } from '../parser/byte-string.js';
import { formatPermissionByte } from '../parser/key-permissions.js';
import { keyText } from '../parser/key-record.js';
import type { DocumentMeta } from './keys-document.js';
import { confirmationNote, visibilityNote } from './notes.js';
import { formatTrustStoreText, TRUST_STORE_KEYS_SHOWN } from './trust-store-report.js';
import { formatKerberosLines } from './kerberos-report.js';

export interface TableOptions {
  color: boolean;
  /** Longest description shown, in characters, before it is cut with an ellipsis. */
  width?: number;
  /** How /proc/keys was read (--view all-users), for the note at the end. */
  coverage?: DocumentMeta['coverage'];
}

const ANSI = { red: '\u001b[31m', yellow: '\u001b[33m', dim: '\u001b[2m', bold: '\u001b[1m', reset: '\u001b[0m' };

function cut(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, Math.max(1, max - 1)) + '…';
}

function pad(cells: string[][]): string[] {
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return cells.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd(),
  );
}

function permString(k: InventoryKey): string {
  const p = k.perm;
  return [p.possessor, p.user, p.group, p.other].map(formatPermissionByte).join(' ');
}

function ratio(n: number, max: number): string {
  return max > 0 ? `${Math.round((100 * n) / max)}%` : '-';
}

export function formatKeysTable(inv: Inventory, opts: TableOptions): string {
  const paint = (code: keyof typeof ANSI, s: string): string => (opts.color ? ANSI[code] + s + ANSI.reset : s);
  const width = opts.width ?? 60;
  const out: string[] = [];
  const rows: string[][] = [['SERIAL', 'FLAGS', 'USAGE', 'EXPIRY', 'PERM (pos usr grp oth)', 'UID', 'GID', 'TYPE', 'CLASS', 'STATE', 'DESCRIPTION']];
  for (const k of inv.keys) {
    const desc = escapeByteString(keyText(k));
    rows.push([
      k.serial,
      k.flagsRaw,
      String(k.usage),
      k.expiry.raw,
      permString(k),
      String(k.uid),
      String(k.gid),
      k.type.name,
      k.class + (k.impostor ? '!' : ''),
      k.state,
      cut(desc, width),
    ]);
  }
  const lines = pad(rows);
  out.push(paint('bold', lines[0] ?? ''));
  inv.keys.forEach((k, i) => {
    const line = lines[i + 1] ?? '';
    out.push(k.suspect.length > 0 ? paint('red', line) : line);
  });
  if (inv.keys.length === 0) out.push(paint('dim', '(no keys visible)'));

  const suspects = inv.keys.filter((k) => k.suspect.length > 0);
  if (suspects.length > 0) {
    out.push('', paint('bold', `SUSPECT RECORDS (${suspects.length}): not counted below`));
    for (const k of suspects)
      for (const s of k.suspect) out.push(`  line ${k.line} serial ${k.serial}: ${s.code}: ${escapeByteString(s.message)}`);
  }
  const impostors = inv.keys.filter((k) => k.impostor);
  if (impostors.length > 0) {
    out.push('', paint('bold', `RESERVED NAMES NOT CREATED BY THE KERNEL (${impostors.length})`));
    for (const k of impostors)
      out.push(`  line ${k.line} serial ${k.serial}: "${cut(escapeByteString(k.description), width)}" owned by uid ${k.uid} looks like a ${k.claimedClass} keyring but is an ordinary keyring`);
  }

  const s = inv.summary;
  const nonZero = (o: Record<string, number>): string =>
    Object.entries(o)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ') || '-';
  out.push('', paint('bold', 'SUMMARY'), `  keys ${s.keys} (suspect ${s.suspect})`, `  by class: ${nonZero(s.byClass)}`, `  by state: ${nonZero(s.byState)}`, `  by type:  ${nonZero(s.byType)}`);

  if (inv.users !== null) {
    out.push('', paint('bold', 'QUOTAS (/proc/key-users)'));
    const urows: string[][] = [['UID', 'KEYS', 'INSTANTIATED', 'QUOTA KEYS', 'USED', 'QUOTA BYTES', 'USED']];
    for (const u of inv.users)
      urows.push([String(u.uid), String(u.nkeys), String(u.nikeys), `${u.qnkeys}/${u.maxkeys}`, ratio(u.qnkeys, u.maxkeys), `${u.qnbytes}/${u.maxbytes}`, ratio(u.qnbytes, u.maxbytes)]);
    for (const l of pad(urows)) out.push(`  ${l}`);
  }
  const l = inv.limits;
  const v = (n: number | null): string => (n === null ? 'unknown' : String(n));
  const secs = (n: number | null): string => (n === null ? 'unknown' : `${n}s`);
  out.push(
    '',
    paint('bold', 'LIMITS (/proc/sys/kernel/keys)'),
    `  maxkeys ${v(l.maxkeys)}  maxbytes ${v(l.maxbytes)}  root_maxkeys ${v(l.root_maxkeys)}  root_maxbytes ${v(l.root_maxbytes)}  gc_delay ${secs(l.gc_delay)}  persistent_keyring_expiry ${secs(l.persistent_keyring_expiry)}`,
  );
  if (inv.kerberos.length > 0) {
    out.push('', paint('bold', 'KERBEROS CACHES (MIT krb5 KEYRING: caches, by owner)'));
    for (const line of formatKerberosLines(inv.kerberos)) out.push(`  ${line}`);
  }
  out.push('', paint('bold', "TRUST STORE (the kernel's keyrings of certificates; keyring-exporter trust-store)"));
  for (const line of formatTrustStoreText(inv.trustStore, TRUST_STORE_KEYS_SHOWN).trimEnd().split('\n')) out.push(`  ${line}`);
  const files = [inv.files.keys, inv.files.keyUsers, ...Object.values(inv.files.sysctls)].filter((f) => f.status !== 'ok');
  if (files.length > 0 || inv.issues.length > 0) {
    out.push('', paint('bold', 'PROBLEMS'));
    for (const f of files) out.push(paint('yellow', `  ${f.path}: ${f.status}${f.error !== undefined ? ` (${f.error})` : ''}`));
    for (const i of inv.issues) out.push(paint('yellow', `  ${i.file}:${i.line}: ${i.code}: ${escapeByteString(i.message)}`));
  }
  out.push('', paint('dim', confirmationNote(inv)), paint('dim', visibilityNote(opts.coverage)));
  return out.join('\n') + '\n';
}
