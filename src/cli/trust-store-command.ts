/**
 * `keyring-exporter trust-store`: the kernel's keyrings of certificates and what each holds, as a table or JSON;
 * `--save FILE` records it as the baseline that `audit` compares with (audit/trust-store-baseline.ts).
 */
import { writeFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { buildInventory } from '../classify/inventory.js';
import { baselineOf, formatTrustStoreBaseline } from '../audit/trust-store-baseline.js';
import { readSnapshot } from '../procfs/read-proc-files.js';
import { formatTrustStoreText, trustStoreJson } from '../report/trust-store-report.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

export interface TrustStoreOptions {
  procfs: string;
  format: 'table' | 'json';
  save?: string;
}

export async function runTrustStoreCommand(opts: TrustStoreOptions, io: CliIo): Promise<number> {
  // The trust store's keyrings belong to root: the reader's own view is the one that shows them.
  const inventory = buildInventory(await readSnapshot(opts.procfs, io.clock));
  const { keys } = inventory.files;
  if (keys.status !== 'ok') {
    io.stderr(`keyring-exporter: ${keys.path}: ${keys.status}${keys.error !== undefined ? ` (${keys.error})` : ''}\n`);
    return EXIT.unreadable;
  }
  const store = inventory.trustStore;
  if (opts.format === 'json') io.stdout(`${JSON.stringify({ version: packageVersion(), procRoot: opts.procfs, trustStore: trustStoreJson(store) }, null, 2)}\n`);
  else io.stdout(formatTrustStoreText(store));
  if (!store.known) {
    io.stderr(`keyring-exporter: the trust store is not known: ${store.why}\n`);
    return EXIT.unreadable;
  }
  if (opts.save !== undefined) {
    const baseline = baselineOf(store, { host: hostname(), kernelRelease: release(), time: new Date(io.clock() * 1000).toISOString(), toolVersion: packageVersion() });
    try {
      await writeFile(opts.save, formatTrustStoreBaseline(baseline), { mode: 0o644 });
    } catch (err) {
      io.stderr(`keyring-exporter: trust-store --save ${opts.save}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
    io.stderr(`keyring-exporter: saved the trust store (${baseline.keyrings.length} keyrings) to ${opts.save}; name it as trust_store.baseline in --config.file\n`);
  }
  return EXIT.ok;
}
