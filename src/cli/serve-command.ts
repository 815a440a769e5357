/**
 * `keyring-exporter serve` (the default command): the Prometheus exporter on the live /proc.
 * Port 10142 by default: above the 9100-9999 range of Prometheus' default port allocations (full by now) and
 * clear of Kubernetes' 10249-10259; to be registered on that list before the first release.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildInventory } from '../classify/inventory.js';
import type { CollectorName } from '../collector/metric-families.js';
import { createApp } from '../server/app.js';
import { createLogger, type LogFormat, type LogLevel } from '../server/logger.js';
import { createScraper } from '../server/scraper.js';
import { readSnapshot } from '../procfs/read-proc-files.js';
import { VISIBILITY_NOTE } from '../report/keys-document.js';
import { loadAuditConfig } from './audit-command.js';
import { createConfigReloader } from '../server/config-reloader.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

export const DEFAULT_LISTEN_ADDRESS = ':10142';

export interface ServeOptions {
  listenAddresses: string[];
  telemetryPath: string;
  maxRequests: number;
  procfs: string;
  enabled: Set<CollectorName>;
  maxUids: number;
  configFile?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  exporterMetrics: boolean;
  /** Serve the audit JSON at /audit (it shows key descriptions). */
  auditEndpoint: boolean;
  /** Called once the server listens (tests use it to learn the port). */
  onListening?: (addresses: AddressInfo[]) => void;
  /** Resolves to stop the server (tests); signals SIGTERM and SIGINT stop it too. */
  stop?: Promise<void>;
}

/** `host:port`, `:port` (every address), `[v6]:port`. */
export function parseListenAddress(a: string): { host: string | undefined; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(a);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? m[2];
  return { host: host === '' || host === undefined ? undefined : host, port };
}

export async function runServeCommand(o: ServeOptions, io: CliIo): Promise<number> {
  const logger = createLogger(o.logLevel, o.logFormat, io.stderr);
  const addresses = o.listenAddresses.map((a) => [a, parseListenAddress(a)] as const);
  const bad = addresses.find(([, p]) => p === null);
  if (bad !== undefined) {
    io.stderr(`keyring-exporter: --web.listen-address ${bad[0]}: expected host:port, :port or [v6]:port\n`);
    return EXIT.usage;
  }
  if (!o.telemetryPath.startsWith('/')) {
    io.stderr(`keyring-exporter: --web.telemetry-path must start with /\n`);
    return EXIT.usage;
  }
  // At start an invalid configuration is an error (exit 2); later, a bad edit keeps the running configuration.
  if ((await loadAuditConfig(o.configFile, io)) === null) return EXIT.usage;
  const config = createConfigReloader(o.configFile, logger, io.clock);
  await config.reload('start');

  const scraper = createScraper(() => readSnapshot(o.procfs, io.clock));
  const first = buildInventory(await scraper.snapshot());
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  logger.info('starting keyring-exporter', { version: packageVersion(), uid, procfs: o.procfs, keys_visible: first.byRow.rows.length, uids: first.users?.length ?? 0 });
  if (uid !== 0) logger.warn('not running as root: /proc/keys shows only the keys this uid may view', { note: VISIBILITY_NOTE });
  for (const f of [first.files.keys, first.files.keyUsers]) if (f.status !== 'ok') logger.warn('cannot read', { path: f.path, status: f.status, error: f.error });

  const app = createApp({
    scraper,
    telemetryPath: o.telemetryPath,
    maxRequests: o.maxRequests,
    enabled: o.enabled,
    maxUids: o.maxUids,
    auditConfig: () => config.config,
    configReload: () => config.state,
    auditEndpoint: o.auditEndpoint,
    procRoot: o.procfs,
    version: packageVersion(),
    revision: process.env['KEYRING_EXPORTER_REVISION'] ?? 'unknown',
    logger,
    exporterMetrics: o.exporterMetrics,
  });

  const servers: Server[] = [];
  try {
    for (const [, p] of addresses) {
      const { host, port } = p as { host: string | undefined; port: number };
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, host ?? '::', () => resolve(s));
        s.once('error', reject);
      });
      servers.push(server);
      logger.info('listening', { address: `${host ?? ''}:${(server.address() as AddressInfo).port}` });
    }
  } catch (err) {
    logger.error('cannot listen', { error: (err as Error).message });
    for (const s of servers) s.close();
    return EXIT.usage;
  }
  const unwatch = config.watch();
  o.onListening?.(servers.map((s) => s.address() as AddressInfo));

  // Stop on SIGTERM / SIGINT (or when told to): stop accepting, let scrapes in flight finish, then exit.
  await new Promise<void>((resolve) => {
    const stop = (why: string): void => {
      logger.info('shutting down', { reason: why });
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      let open = servers.length;
      const done = (): void => {
        if (--open <= 0) resolve();
      };
      for (const s of servers) {
        s.close(done);
        s.closeIdleConnections();
      }
      // Anything still open after 10 s is cut.
      setTimeout(() => {
        for (const s of servers) s.closeAllConnections();
      }, 10_000).unref();
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    void o.stop?.then(() => stop('stopped'));
  });
  await unwatch();
  return EXIT.ok;
}
