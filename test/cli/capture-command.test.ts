/**
 * `keyring-exporter capture` on the live kernel: the folder holds the kernel's answers beside the files, so an
 * offline audit of it is as exact as the live one (a forged line stays text of its carrier's description).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';
import { sh, uniqueName } from '../helpers/run-bin.js';

const live = itWith([isRoot(), hasCommand('keyctl')]);

describe('capture', () => {
  live('stores the kernel answers with the files and what a reader needs to trust them; the capture audits like the host', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kre-capture-'));
    const out = join(dir, 'cap');
    const name = uniqueName('cap');
    try {
      // A carrier forging a root _persistent.0 with a serial no key has; it lives while the capture is made.
      const r = sh(
        `keyctl session - bash -c 'k=$(keyctl add user "$(printf "${name}: 1\\n7ffffff3 I------     1 perm 1f030000     0 65534 keyring   _persistent.0")" v @s) && keyctl setperm $k 0x3f3f0000 && printf "%08x\\n" $k && "$BIN" capture "${out}" >/dev/null'`,
      );
      expect(r.status, r.stderr).toBe(0);
      const carrier = r.stdout.trim();
      const stored = JSON.parse(readFileSync(join(out, 'keyring-exporter-answers.json'), 'utf8')) as Record<string, unknown>;
      expect(stored).toMatchObject({ format: 1, view: 'self', toolVersion: expect.any(String), host: expect.any(String), kernelRelease: expect.any(String) });
      expect(Date.parse(stored['time'] as string)).toBeGreaterThan(Date.now() - 120_000);

      // The session is gone now: only the capture knows the carrier.
      const keys = JSON.parse(sh(`"$BIN" keys --format json --path.procfs "${out}"`).stdout) as {
        source: { confirmation: { by: string } };
        keys: { serial: string; description: string; confirmation: string }[];
      };
      expect(keys.source.confirmation.by).toBe('capture');
      expect(keys.keys.map((k) => k.serial)).not.toContain('7ffffff3');
      expect(keys.keys.find((k) => k.serial === carrier)).toMatchObject({ confirmation: 'described', description: `${name}: 1\n7ffffff3 I------     1 perm 1f030000     0 65534 keyring   _persistent.0` });
      const audit = JSON.parse(sh(`"$BIN" audit --format json --fail-on never --path.procfs "${out}"`).stdout) as { audit: { findings: { check: string; serial?: string; severity: string }[] } };
      expect(audit.audit.findings.filter((f) => f.check === 'forged_proc_keys_line').map((f) => [f.serial, f.severity])).toEqual([[carrier, 'critical']]);
      const metrics = sh(`"$BIN" metrics --path.procfs "${out}"`).stdout;
      expect(metrics).toContain('keyring_records_confirmed 1');
      expect(metrics).not.toMatch(/keyring_persistent_keyring_expiry_seconds\{uid="0"\}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
