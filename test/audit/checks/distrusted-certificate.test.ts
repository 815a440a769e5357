import { describe, expect, it } from 'vitest';
import { distrustedCertificate as check } from '../../../src/audit/checks/distrusted-certificate.js';
import type { DistrustedCertificate } from '../../../src/audit/audit-config.js';
import type { TrustStore } from '../../../src/classify/trust-store.js';
import { configWith, fixture, run, wellFormed } from './support.js';

const distrusting = (distrusted: DistrustedCertificate[]) => configWith({ trustStore: { distrusted } });

describe('distrusted_certificate', () => {
  it('reports a listed certificate wherever the kernel still trusts it, by subject, key id or both, at the severity listed', async () => {
    const inv = await fixture('trust-store');
    const store = inv.trustStore as Extract<TrustStore, { known: true }>;
    const second = store.keyrings.find((k) => k.name === '_ima')?.keys[1];
    const evm = store.keyrings.find((k) => k.name === '_evm')?.keys[0];
    const findings = run(
      inv,
      check,
      distrusting([
        { subject: 'Fixture Second IMA Key', keyId: null, reason: 'revoked by its issuer', severity: 'critical' },
        { subject: null, keyId: evm?.keyId ?? '', reason: 'expired', severity: 'warning' },
      ]),
    );
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.serial, f.message])).toEqual([
      ['critical', second?.serial.toString(16).padStart(8, '0'), `certificate "Fixture Second IMA Key" (key id ${second?.keyId}) is trusted in _ima: revoked by its issuer`],
      ['warning', evm?.serial.toString(16).padStart(8, '0'), `certificate "Fixture EVM Key" (key id ${evm?.keyId}) is trusted in _evm: expired`],
    ]);
  });

  it('stays quiet when nothing listed is trusted: another key id under the same subject, no list, an unknown trust store', async () => {
    const inv = await fixture('trust-store');
    expect(run(inv, check, distrusting([{ subject: 'Fixture EVM Key', keyId: '00', reason: 'x', severity: 'critical' }]))).toEqual([]);
    expect(run(inv, check)).toEqual([]);
    expect(run(await fixture('root-host-baseline'), check, distrusting([{ subject: 'Fixture EVM Key', keyId: null, reason: 'x', severity: 'critical' }]))).toEqual([]);
  });
});
