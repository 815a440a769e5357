/** Helpers shared by the checks that look at keys: rows grouped by uid, escaped examples. */
import { countRowsByUid, type InventoryKey } from '../../classify/inventory.js';
import { escapeByteString } from '../../parser/byte-string.js';
import type { AuditContext } from '../check.js';

/**
 * Reportable rows (ctx.reportable) that pass `keep`, in file order. `among`: a list of the inventory's RowIndex
 * that holds every row `keep` can pass, looked through instead of every row when the inventory has it.
 */
export function reportableRows(ctx: AuditContext, keep: (row: number) => boolean, among?: readonly number[]): number[] {
  const listed = ctx.reportableAmong(among);
  if (listed !== null) return listed.filter(keep);
  const rows = ctx.reportable;
  const out: number[] = [];
  // Indexed: a for...of over 100,000 rows costs ten times as much (run-audit.ts).
  for (let k = 0; k < rows.length; k++) if (keep(rows[k] as number)) out.push(rows[k] as number);
  return out;
}

/** Rows by owner uid, uids in ascending order, rows in file order. */
export function byUid(ctx: AuditContext, rows: readonly number[]): Map<number, number[]> {
  const table = ctx.inventory.byRow.table;
  const groups = new Map<number, number[]>();
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k] as number;
    const u = table.uidAt(i);
    const g = groups.get(u);
    if (g === undefined) groups.set(u, [i]);
    else g.push(i);
  }
  return new Map([...groups].sort((a, b) => a[0] - b[0]));
}

/** Listed keys by owner uid: every row (suspect or allowed too), or the given rows. */
export function countByUid(ctx: AuditContext, rows?: readonly number[]): Map<number, number> {
  return rows === undefined ? ctx.inventory.visibleByUid : countRowsByUid(ctx.inventory.byRow, rows);
}

/** A key's description for a message: escaped, quoted, shortened. */
export function quoted(k: Pick<InventoryKey, 'description'>, max = 60): string {
  const e = escapeByteString(k.description);
  return `"${e.length > max ? e.slice(0, max - 1) + '…' : e}"`;
}

/** Up to `n` quoted descriptions of the rows' keys, "and N more". */
export function examples(ctx: AuditContext, rows: readonly number[], n = 3): string {
  const table = ctx.inventory.byRow.table;
  const shown = rows.slice(0, n).map((i) => quoted({ description: table.description(i) }, 40));
  return rows.length > n ? `${shown.join(', ')} and ${rows.length - n} more` : shown.join(', ');
}
