/** `keyring-exporter keys`: every visible key, decoded and classified, as a table or JSON. */
import { buildInventory } from '../classify/inventory.js';
import { snapshotFor } from './snapshot-for.js';
import type { View } from './views.js';
import { keysJsonChunks } from '../report/keys-document.js';
import { formatKeysTable } from '../report/keys-table.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

export interface KeysOptions {
  procfs: string;
  format: 'table' | 'json';
  view: View;
}

export async function runKeysCommand(opts: KeysOptions, io: CliIo): Promise<number> {
  const read = await snapshotFor(opts.procfs, opts.view, io);
  if (read === null) return EXIT.usage;
  const inventory = buildInventory(read.snapshot);
  const meta = {
    procRoot: opts.procfs,
    version: packageVersion(),
    ...(io.reader !== undefined ? { reader: io.reader } : {}),
    ...(read.coverage !== undefined ? { coverage: read.coverage } : {}),
  };
  if (opts.format === 'json') for (const chunk of keysJsonChunks(inventory, meta)) io.stdout(chunk);
  else io.stdout(formatKeysTable(inventory, { color: io.stdoutIsTty, ...(read.coverage !== undefined ? { coverage: read.coverage } : {}) }));
  const { keys, keyUsers } = inventory.files;
  for (const f of [keys, keyUsers])
    if (f.status !== 'ok') io.stderr(`keyring-exporter: ${f.path}: ${f.status}${f.error !== undefined ? ` (${f.error})` : ''}\n`);
  if (keys.status !== 'ok' && keyUsers.status !== 'ok') return EXIT.unreadable;
  return EXIT.ok;
}
