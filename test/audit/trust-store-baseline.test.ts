import { describe, expect, it } from 'vitest';
import { baselineOf, formatTrustStoreBaseline, parseTrustStoreBaseline } from '../../src/audit/trust-store-baseline.js';
import type { TrustStore } from '../../src/classify/trust-store.js';
import { fixture } from './checks/support.js';

const META = { host: 'node-1', kernelRelease: '6.18.0', time: '2026-12-01T00:00:00.000Z', toolVersion: '0.1.0' };

describe('the trust store baseline', () => {
  it('keeps each keyring\'s certificates by the kernel\'s description, and its key count, and reads back as written', async () => {
    const store = (await fixture('trust-store')).trustStore as Extract<TrustStore, { known: true }>;
    const b = baselineOf(store, META);
    expect(b.keyrings.map((k) => [k.name, k.role, k.keys, k.certificates.map((c) => c.subject)])).toEqual([
      ['_evm', 'files', 1, ['Fixture EVM Key']],
      ['_ima', 'files', 2, ['Fixture IMA Signing Key', 'Fixture Second IMA Key']],
      ['.blacklist', 'blacklist', 0, []],
      ['.builtin_trusted_keys', 'code', 0, []],
    ]);
    expect(parseTrustStoreBaseline(formatTrustStoreBaseline(b), 'b.json')).toEqual(b);
  });

  it('keeps every byte of a description, in a file of valid UTF-8', () => {
    const description = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
    const b = { ...META, keyrings: [{ name: '_ima', role: 'files' as const, keys: 1, certificates: [{ description, subject: null, keyId: null, algorithm: null }] }] };
    const text = formatTrustStoreBaseline(b);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(text))).toBe(text);
    expect(parseTrustStoreBaseline(text, 'b.json')).toEqual(b);
  });

  it.each([
    ['not JSON', '{', 'b.json: not JSON'],
    ['another format', '{"format":2}', 'b.json: format: expected 1, got 2'],
    ['a keyring without a role', JSON.stringify({ format: 1, ...META, keyrings: [{ name: '_ima', keys: 0, certificates: [] }] }), 'b.json: keyrings[0].role: expected code, files, blacklist or other, got nothing'],
    ['a negative count', JSON.stringify({ format: 1, ...META, keyrings: [{ name: '_ima', role: 'files', keys: -1, certificates: [] }] }), 'b.json: keyrings[0].keys: expected a count, got -1'],
    ['a certificate without a description', JSON.stringify({ format: 1, ...META, keyrings: [{ name: '_ima', role: 'files', keys: 0, certificates: [{}] }] }), 'b.json: keyrings[0].certificates[0].description: expected a string, got nothing'],
  ])('names the file and the field at fault: %s', (_name, text, error) => {
    const r = parseTrustStoreBaseline(text, 'b.json');
    expect('error' in r && r.error).toContain(error);
  });
});
