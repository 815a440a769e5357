/**
 * A check: a small pure module with a stable id, a default severity, a one-sentence rationale citing the man
 * page or kernel behaviour it rests on, and the findings it makes from the inventory.
 *
 * Checks about keys work on the inventory's rows (inventory.byRow: typed arrays and shared decoded values),
 * never on `inventory.keys`: that makes an object and several strings per key, which at 100,000 keys costs
 * more than the kernel takes to print them. A finding makes the object of the key it names (`ctx.key(row)`).
 */
import type { Inventory, InventoryKey } from '../classify/inventory.js';
import type { KeyClass } from '../classify/keyring-class.js';
import type { KeyState } from '../classify/key-state.js';
import type { AuditConfig } from './audit-config.js';
import type { Finding, Severity } from './finding.js';

export interface AuditContext {
  inventory: Inventory;
  config: AuditConfig;
  /** Unix seconds of the snapshot (the injected clock). */
  now: number;
  /** True when the row's key is allow-listed by uid, type or description: checks about keys skip it. */
  allowedRow: (row: number) => boolean;
  /** Rows a check about keys may report, in file order: trusted (suspect records belong to forged_proc_keys_line) and not allowed. */
  readonly reportable: ArrayLike<number>;
  /** Whether a check about keys may report the row (it is in `reportable`). */
  isReportable: (row: number) => boolean;
  /** The reportable rows of a list in file order (the inventory's RowIndex), or null when there is no list. */
  reportableAmong: (list: readonly number[] | undefined) => number[] | null;
  /** The reportable rows of one class, in file order (bucketed once per audit). */
  reportableOfClass: (cls: KeyClass) => readonly number[];
  /** The reportable rows in one state, in file order. */
  reportableInState: (state: KeyState) => readonly number[];
  /** The key of a row as an object, for a finding about it. */
  key: (row: number) => InventoryKey;
}

export interface Check {
  /** snake_case of the file name: quota_keys_near_limit for checks/quota-keys-near-limit.ts. */
  id: string;
  /** The severity of its typical finding (a finding may be more or less severe). */
  severity: Severity;
  /** One sentence: why this matters, citing the man page or kernel source it rests on. */
  rationale: string;
  /** How to fix what it finds, in general (each finding's remediation is specific to it). */
  fix: string;
  run(ctx: AuditContext): Finding[];
}
