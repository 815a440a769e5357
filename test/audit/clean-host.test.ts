/**
 * Every check together on the captured scenarios of an ordinary host: nothing at warning or above with the
 * default configuration (audit-config.ts: every default is what a clean host passes). The info findings each
 * scenario really has are listed, so that a new finding on a clean capture is noticed.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import { CHECKS, runAudit } from '../../src/audit/run-audit.js';
import { fixture, type FixtureName } from './checks/support.js';

const CLEAN: [FixtureName, string[]][] = [
  ['root-host-baseline', []],
  // A revoked _ses its own process still uses (as PAM leaves it at logout).
  ['session-anonymous', ['dead_keys_lingering uid 0']],
  // Root-owned named, runc and crun keyrings, with the root limits a modern kernel has.
  ['session-named', []],
  // Read as uid 40103: root's keys are not visible to it.
  ['user-session-fallback', ['visibility_gap uid 0']],
  // _persistent.0 holds a key and expires in 2 to 3 days.
  ['persistent', []],
  // One key with expd.
  ['expiry-units', ['dead_keys_lingering uid 0']],
  // A failed dns_resolver lookup, a key under construction, and one root key root has no view of.
  ['key-types', ['negative_keys uid 0', 'stuck_construction uid 0', 'visibility_gap uid 0']],
];

describe('a clean, ordinary host: every check, default configuration', () => {
  it.each(CLEAN)('%s: no warning or critical finding; info: %j', async (name, infos) => {
    const report = runAudit(await fixture(name), DEFAULT_AUDIT_CONFIG, CHECKS);
    expect(report.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(report.findings.map((f) => `${f.check} uid ${f.uid}`)).toEqual(infos);
  });
});
