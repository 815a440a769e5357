/**
 * A check: a small pure module with a stable id, a default severity, a one-sentence rationale citing the man
 * page or kernel behaviour it rests on, and the findings it makes from the inventory.
 *
 */
import type { Inventory, InventoryKey } from '../classify/inventory.js';
import type { ListedClass, ListedState } from '../classify/record-pass.js';
import type { AuditConfig } from './audit-config.js';
import type { Finding, Severity } from './finding.js';

export interface AuditContext {
  inventory: Inventory;
  config: AuditConfig;
  /** Unix seconds of the snapshot (the injected clock). */
  now: number;
  /** True when the key is allow-listed by uid, type or description: checks about keys skip it. */
  allowed: (k: InventoryKey) => boolean;
  /** Keys a check about keys may report, in file order: trusted (suspect records belong to forged_proc_keys_line) and not allowed. */
  readonly reportable: readonly InventoryKey[];
  /** The reportable keys of one class, in file order. */
  reportableOfClass: (cls: ListedClass) => readonly InventoryKey[];
  /** The reportable keys in one state, in file order. */
  reportableInState: (state: ListedState) => readonly InventoryKey[];
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
