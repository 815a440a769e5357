/**
 * /proc/sys/kernel/keys/*: one integer each (security/keys/sysctl.c; kernel-format.md §4).
 * gc_delay and persistent_keyring_expiry are seconds. A missing file is "absent" (older kernels lack
 * persistent_keyring_expiry without CONFIG_PERSISTENT_KEYRINGS), not an error.
 */
import type { ParseIssue } from './parse-issue.js';

export const KEYS_SYSCTLS = [
  'maxkeys',
  'maxbytes',
  'root_maxkeys',
  'root_maxbytes',
  'gc_delay',
  'persistent_keyring_expiry',
] as const;
export type KeysSysctl = (typeof KEYS_SYSCTLS)[number];

/** The kernel's defaults since 3.17 (root_* were 200 / 20000 before). */
export const KEYS_SYSCTL_DEFAULTS: Record<KeysSysctl, number> = {
  maxkeys: 200,
  maxbytes: 20000,
  root_maxkeys: 1000000,
  root_maxbytes: 25000000,
  gc_delay: 300,
  persistent_keyring_expiry: 259200,
};

export type KeysLimits = Record<KeysSysctl, number | null>;

/** `files` maps a sysctl name to its text, or undefined when the file could not be read. */
export function parseKeysSysctls(files: Partial<Record<KeysSysctl, string>>): { limits: KeysLimits; issues: ParseIssue[] } {
  const limits = {} as KeysLimits;
  const issues: ParseIssue[] = [];
  for (const name of KEYS_SYSCTLS) {
    const text = files[name];
    if (text === undefined) {
      limits[name] = null;
      continue;
    }
    const t = text.replace(/\r?\n$/, '');
    if (!/^-?\d{1,10}$/.test(t)) {
      limits[name] = null;
      issues.push({
        code: 'unknown_sysctl_value',
        file: 'sys/kernel/keys',
        line: 1,
        message: `${name}: expected one integer, found ${JSON.stringify(t.slice(0, 40))}`,
      });
      continue;
    }
    limits[name] = Number(t);
  }
  return { limits, issues };
}
