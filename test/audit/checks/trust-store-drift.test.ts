import { describe, expect, it } from 'vitest';
import { trustStoreDrift as check } from '../../../src/audit/checks/trust-store-drift.js';
import { baselineOf, type TrustStoreBaseline } from '../../../src/audit/trust-store-baseline.js';
import type { TrustStore } from '../../../src/classify/trust-store.js';
import { configWith, fixture, run, wellFormed } from './support.js';

type Known = Extract<TrustStore, { known: true }>;
const META = { host: 'node-1', kernelRelease: '6.18.0', time: '2026-12-01T00:00:00.000Z', toolVersion: '0.1.0' };
const PATH = '/etc/keyring-exporter/trust-store.json';
const withBaseline = (saved: TrustStoreBaseline) => configWith({ trustStore: { baseline: { path: PATH, saved } } });

describe('trust_store_drift', () => {
  it('stays quiet without a baseline, and when the trust store is the one saved', async () => {
    const inv = await fixture('trust-store');
    expect(run(inv, check)).toEqual([]);
    expect(run(inv, check, withBaseline(baselineOf(inv.trustStore as Known, META)))).toEqual([]);
  });

  it('a certificate added since the baseline: critical in a keyring that admits code or files, a warning elsewhere', async () => {
    const inv = await fixture('trust-store');
    const store = inv.trustStore as Known;
    const saved = baselineOf(store, META);
    const ima = saved.keyrings.find((k) => k.name === '_ima');
    ima?.certificates.splice(1, 1);
    const added = store.keyrings.find((k) => k.name === '_ima')?.keys[1];
    const findings = run(inv, check, withBaseline(saved));
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.uid, f.serial])).toEqual([['critical', 0, added?.serial.toString(16).padStart(8, '0')]]);
    expect(findings[0]?.message).toBe(
      `certificate "Fixture Second IMA Key" (key id ${added?.keyId}) is in _ima, which decides which files IMA and EVM accept, and was not in the baseline ${PATH} (saved 2026-12-01T00:00:00.000Z on node-1)`,
    );
    expect(findings[0]?.remediation).toContain(`keyring-exporter trust-store --save ${PATH}`);
    // The same change in a keyring that is not a trust anchor.
    const other = { ...inv, trustStore: { ...store, keyrings: store.keyrings.map((k) => (k.name === '_ima' ? { ...k, role: 'other' as const } : k)) } };
    expect(run(other, check, withBaseline(saved)).map((f) => f.severity)).toEqual(['warning']);
  });

  it('a certificate removed, a keyring gone, a blacklist that shrank: warnings', async () => {
    const inv = await fixture('trust-store');
    const saved = baselineOf(inv.trustStore as Known, META);
    const cert = (subject: string) => ({ description: `${subject}: 00ff`, subject, keyId: '00ff', algorithm: 'X509.rsa' });
    saved.keyrings.find((k) => k.name === '.builtin_trusted_keys')?.certificates.push(cert('Old Vendor Key'));
    saved.keyrings.push({ name: '.platform', role: 'code', certificates: [cert('Microsoft Corporation UEFI CA 2011')], keys: 1 });
    (saved.keyrings.find((k) => k.name === '.blacklist') as { keys: number }).keys = 5;
    const findings = run(inv, check, withBaseline(saved));
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['warning', `the blacklist .blacklist holds 0 keys, fewer than the 5 of the baseline ${PATH} (saved 2026-12-01T00:00:00.000Z on node-1): hashes or certificates the kernel refused are accepted again`],
      ['warning', `certificate "Old Vendor Key" (key id 00ff) of .builtin_trusted_keys in the baseline ${PATH} (saved 2026-12-01T00:00:00.000Z on node-1) is no longer in it`],
      ['warning', `certificate "Microsoft Corporation UEFI CA 2011" (key id 00ff) of .platform in the baseline ${PATH} (saved 2026-12-01T00:00:00.000Z on node-1) is gone with the keyring, which this kernel no longer has`],
    ]);
  });

  it('cannot compare a trust store it does not know: a warning that says why', async () => {
    const known = await fixture('trust-store');
    const findings = run(await fixture('root-host-baseline'), check, withBaseline(baselineOf(known.trustStore as Known, META)));
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['warning', `the trust store cannot be compared with the baseline ${PATH} (saved 2026-12-01T00:00:00.000Z on node-1): the kernel was not asked: the records were read from text alone`],
    ]);
  });

  it('escapes what a certificate\'s issuer wrote', async () => {
    const inv = await fixture('trust-store');
    const store = inv.trustStore as Known;
    const saved = baselineOf(store, META);
    const evil = { ...inv, trustStore: { ...store, keyrings: store.keyrings.map((k) => ({ ...k, keys: k.keys.map((key) => ({ ...key, subject: 'Evil\u001b[2J\nCorp', description: 'Evil\u001b[2J\nCorp: 00' })) })) } };
    const findings = run(evil, check, withBaseline(saved));
    wellFormed(findings, check);
    expect(findings[0]?.message).toContain('Evil\\x1b[2J\\x0aCorp');
  });
});
