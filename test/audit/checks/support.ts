/**
 * Shared by the per-check tests: the captured fixtures, in-memory snapshots and a one-check audit run.
 * (Not a test file: vitest collects *.test.ts only.)
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from '../../../src/audit/audit-config.js';
import type { Check } from '../../../src/audit/check.js';
import type { Finding } from '../../../src/audit/finding.js';
import { runAudit } from '../../../src/audit/run-audit.js';
import { buildInventory, type Inventory } from '../../../src/classify/inventory.js';
import type { KeysSysctl } from '../../../src/parser/keys-sysctl.js';
import { readSnapshot } from '../../../src/procfs/read-proc-files.js';
import { renderKeys, type LineFields } from '../../helpers/render-key-line.js';
import { snapshotOf } from '../../helpers/snapshot.js';

export type { LineFields };

/** The 17 scenarios captured from a real kernel (test/fixtures/README.md). */
export const FIXTURES = [
  'root-host-baseline',
  'session-anonymous',
  'session-named',
  'user-session-fallback',
  'persistent',
  'persistent-expiry-lowered',
  'key-states',
  'expiry-units',
  'key-types',
  'hard-descriptions',
  'forged-line',
  'quota-full',
  'quota-bytes',
  'many-sessions',
  'trust-store',
  'upcall-caches',
  'kerberos',
] as const;
export type FixtureName = (typeof FIXTURES)[number];

/** A fresh inventory of a captured scenario, read with the clock of its capture. */
export async function fixture(name: FixtureName): Promise<Inventory> {
  const dir = new URL(`../../fixtures/${name}/`, import.meta.url);
  const capture = JSON.parse(readFileSync(new URL('capture.json', dir), 'utf8')) as { capturedAt: number };
  return buildInventory(await readSnapshot(dir.pathname, () => capture.capturedAt));
}

/** The sysctls of a modern kernel with nothing raised (kernel-format.md §4). */
export const SYSCTLS: Record<KeysSysctl, string> = {
  maxkeys: '200\n',
  maxbytes: '20000\n',
  root_maxkeys: '1000000\n',
  root_maxbytes: '25000000\n',
  gc_delay: '300\n',
  persistent_keyring_expiry: '259200\n',
};

/** An inventory from hand-built /proc/keys lines and /proc/key-users lines (none given: the file is absent). */
export function inventory(keys: LineFields[], users: string[] = [], sysctls: Partial<Record<KeysSysctl, string>> = SYSCTLS, keyUsersAfter?: string[]): Inventory {
  return buildInventory(
    snapshotOf(
      keys.length > 0 ? renderKeys(keys) : '',
      users.length > 0 ? users.join('\n') + '\n' : undefined,
      sysctls,
      1_800_000_000,
      keyUsersAfter === undefined ? undefined : keyUsersAfter.join('\n') + '\n',
    ),
  );
}

/** A /proc/key-users line: `uid: usage nkeys/nikeys qnkeys/maxkeys qnbytes/maxbytes`. */
export function keyUser(uid: number, nkeys: number, nikeys: number, qnkeys: number, maxkeys: number, qnbytes: number, maxbytes: number): string {
  return `${String(uid).padStart(5)}: ${String(nkeys + (uid === 0 ? 1 : 0)).padStart(5)} ${nkeys}/${nikeys} ${qnkeys}/${maxkeys} ${qnbytes}/${maxbytes}`;
}

/** The default configuration with some parts replaced. */
export function configWith(patch: { [K in keyof AuditConfig]?: Partial<AuditConfig[K]> }): AuditConfig {
  const c = structuredClone(DEFAULT_AUDIT_CONFIG) as AuditConfig;
  for (const [k, v] of Object.entries(patch)) {
    const key = k as keyof AuditConfig;
    (c as unknown as Record<string, unknown>)[key] = Array.isArray(v) ? v : { ...(c[key] as object), ...(v as object) };
  }
  return c;
}

/** The findings of one check, as runAudit gives them (sorted, disabled checks honoured). */
export function run(inv: Inventory, check: Check, config: AuditConfig = DEFAULT_AUDIT_CONFIG): Finding[] {
  return runAudit(inv, config, [check]).findings;
}

/** [severity, uid, serial] of each finding: what most cases compare. */
export const brief = (fs: Finding[]): [string, number | undefined, string | undefined][] => fs.map((f) => [f.severity, f.uid, f.serial]);

/** Every finding has what the framework promises: its check, a one-sentence message and a remediation. */
export function wellFormed(fs: Finding[], check: Check): void {
  for (const f of fs) {
    if (f.check !== check.id) throw new Error(`finding of ${f.check} from ${check.id}`);
    if (f.message.length === 0 || f.remediation.length === 0) throw new Error(`empty text in ${JSON.stringify(f)}`);
    // Attacker-written text is escaped: no control character reaches a terminal.
    if (/[\u0000-\u001f\u007f]/.test(f.message + f.remediation)) throw new Error(`unescaped control character in ${JSON.stringify(f)}`);
  }
}
