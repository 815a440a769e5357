import { describe, expect, it } from 'vitest';
import { baselinePathIn, parseAuditConfig } from '../../src/audit/audit-config-file.js';
import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';

const known = ['quota_keys_near_limit', 'visibility_gap'];

describe('parseAuditConfig', () => {
  it('an empty file is the defaults', () => {
    expect(parseAuditConfig('', known)).toEqual({ ok: true, config: DEFAULT_AUDIT_CONFIG });
  });

  it('overrides what it names and keeps every other default', () => {
    const text = ['disabled_checks: [visibility_gap]', 'quota:', '  warning_ratio: 0.7', 'allow:', '  descriptions: ["krb_ccache:*"]', ''].join('\n');
    const r = parseAuditConfig(text, known);
    expect(r).toEqual({
      ok: true,
      config: {
        ...DEFAULT_AUDIT_CONFIG,
        disabled: ['visibility_gap'],
        quota: { ...DEFAULT_AUDIT_CONFIG.quota, warningRatio: 0.7 },
        allow: { ...DEFAULT_AUDIT_CONFIG.allow, descriptions: ['krb_ccache:*'] },
      },
    });
  });

  it.each([
    ['a wrong type, with its path and line', 'quota:\n  critical_ratio: high\n', [{ path: 'quota.critical_ratio', line: 2, message: 'must be number' }]],
    ['an unknown field (a typo), with its line', 'sessions:\n  max_count: 5\n  quotashare: 0.1\n', [{ path: 'sessions.quotashare', line: 3, message: 'unknown field "quotashare"' }]],
    ['an out-of-range value', 'quota:\n  warning_ratio: 1.5\n', [{ path: 'quota.warning_ratio', line: 2, message: 'must be <= 1' }]],
    ['an unknown check', 'disabled_checks:\n  - visibilty_gap\n', [{ path: 'disabled_checks.0', line: 2, message: 'no check is called "visibilty_gap"' }]],
    ['thresholds in the wrong order', 'quota:\n  warning_ratio: 0.9\n  critical_ratio: 0.5\n', [{ path: 'quota.warning_ratio', line: 2, message: 'warning_ratio 0.9 is above critical_ratio 0.5' }]],
    ['a duplicate key', 'quota:\n  warning_ratio: 0.5\n  warning_ratio: 0.6\n', [{ path: '', line: 3, message: expect.stringContaining('unique') }]],
  ])('rejects %s, never half applied', (_name, text, errors) => {
    expect(parseAuditConfig(text, known)).toEqual({ ok: false, errors });
  });

  it('takes the trust store\'s distrusted certificates, by key id (any case) or subject, and the baseline its caller read', () => {
    const text = ['trust_store:', '  baseline: saved.json', '  distrusted:', '    - key_id: 13ADBF43', '      reason: expired', '    - subject: "Old CA"', '      severity: critical', ''].join('\n');
    const saved = { host: 'h', kernelRelease: 'k', time: 't', toolVersion: 'v', keyrings: [] };
    expect(parseAuditConfig(text, known, { path: '/etc/saved.json', saved })).toEqual({
      ok: true,
      config: {
        ...DEFAULT_AUDIT_CONFIG,
        trustStore: {
          baseline: { path: '/etc/saved.json', saved },
          distrusted: [
            { keyId: '13adbf43', subject: null, reason: 'expired', severity: 'warning' },
            { keyId: null, subject: 'Old CA', reason: 'listed as distrusted in the configuration', severity: 'critical' },
          ],
        },
      },
    });
    expect(baselinePathIn(text)).toBe('saved.json');
    expect(baselinePathIn('quota: [\n')).toBeNull();
  });

  it.each([
    ['neither a key id nor a subject', 'trust_store:\n  distrusted:\n    - reason: x\n', 'trust_store.distrusted.0'],
    ['a key id that is not hex', 'trust_store:\n  distrusted:\n    - key_id: xyz\n', 'trust_store.distrusted.0.key_id'],
    ['an info severity', 'trust_store:\n  distrusted:\n    - subject: A\n      severity: info\n', 'trust_store.distrusted.0.severity'],
  ])('rejects a distrusted certificate with %s', (_name, text, path) => {
    const r = parseAuditConfig(text, known);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain(path);
  });

  it('takes the kerberos thresholds', () => {
    const text = 'kerberos:\n  tgt_expiring_within_seconds: 7200\n  max_caches: 3\n  quota_share: 0.3\n';
    expect(parseAuditConfig(text, known)).toEqual({ ok: true, config: { ...DEFAULT_AUDIT_CONFIG, kerberos: { tgtExpiringWithinSeconds: 7200, maxCaches: 3, quotaShare: 0.3 } } });
  });

  it('takes secrets.passphrase_max_seconds', () => {
    expect(parseAuditConfig('secrets:\n  passphrase_max_seconds: 600\n', known)).toEqual({ ok: true, config: { ...DEFAULT_AUDIT_CONFIG, secrets: { passphraseMaxSeconds: 600 } } });
  });

  it('takes upcall.failed_min, and rejects one below 1', () => {
    expect(parseAuditConfig('upcall:\n  failed_min: 5\n', known)).toEqual({ ok: true, config: { ...DEFAULT_AUDIT_CONFIG, upcall: { failedMin: 5 } } });
    expect(parseAuditConfig('upcall:\n  failed_min: 0\n', known)).toEqual({ ok: false, errors: [{ path: 'upcall.failed_min', line: 2, message: 'must be >= 1' }] });
  });

  it('rejects broken YAML with its line', () => {
    const r = parseAuditConfig('quota: [\n', known);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.line).toBeGreaterThanOrEqual(1);
  });
});
