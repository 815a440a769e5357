/**
 * `keyring-exporter serve` (the default command): the Prometheus exporter on the live /proc.
 * Port 10142 by default: above the 9100-9999 range of Prometheus' default port allocations (full by now) and
 * clear of Kubernetes' 10249-10259; to be registered on that list before the first release.
 */
import { tuneV8ForServing } from '../server/v8-flags.js';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CollectorName } from '../collector/metric-families.js';
import { createApp } from '../server/app.js';
import { createLogger, type LogFormat, type LogLevel, type Logger } from '../server/logger.js';
import type { Inventory } from '../classify/inventory.js';
import { createScraper } from '../server/scraper.js';
import type { RecordSink } from '../parser/proc-keys.js';
import type { Snapshot } from '../parser/snapshot.js';
import { isLiveProc, readSnapshot } from '../procfs/read-proc-files.js';
import { readAllUsersSnapshot, ViewError } from '../procfs/read-all-users.js';
import { resolveView } from './snapshot-for.js';
import type { ScrapeView, View } from './views.js';
import { parseListenAddress } from './listen-address.js';
import { createReadMemo, type ReadMemo } from '../parser/read-memo.js';
import { VISIBILITY_NOTE } from '../report/notes.js';
import { loadAuditConfig } from './load-audit-config.js';
import { changedSince, createConfigReloader } from '../server/config-reloader.js';
import { loadWebConfig, type WebConfig } from '../server/web-config.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { buildInfo, packageVersion } from './version.js';

/**
 * How long a connection may stay idle between two requests. Node closes it after 5 s by default, so Prometheus
 * (which keeps a target's connection for up to 5 minutes, and scrapes every 15 s to 1 min) opened a new one for
 * every scrape, and over TLS made a full handshake each time. node_exporter's Go server keeps idle connections
 * open; this keeps them a little longer than Prometheus does, so that the client, not the server, closes an idle
 * connection (a server closing one just as a request is sent makes that request fail).
 */
export const KEEP_ALIVE_MS = 6 * 60 * 1000;

export interface ServeOptions {
  listenAddresses: string[];
  telemetryPath: string;
  maxRequests: number;
  procfs: string;
  /** Whose keys each scrape reads: this process's view, every uid's (root only), or `auto` (resolveView). */
  view: ScrapeView;
  enabled: Set<CollectorName>;
  maxUids: number;
  configFile?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  exporterMetrics: boolean;
  /** Serve the audit JSON at /audit (it shows key descriptions). */
  auditEndpoint: boolean;
  /** exporter-toolkit web configuration: TLS and basic auth. */
  webConfigFile?: string;
  /** Called once the server listens (tests use it to learn the port). */
  onListening?: (addresses: AddressInfo[]) => void;
  /** Resolves to stop the server (tests); signals SIGTERM and SIGINT stop it too. */
  stop?: Promise<void>;
}

export async function runServeCommand(o: ServeOptions, io: CliIo): Promise<number> {
  tuneV8ForServing();
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
  // A SIGHUP before the reload handlers are in place (the first read takes seconds on a host with many keys)
  // would end the process, Node's default: it is held until they are, then served as a reload.
  let hupWhileStarting = false;
  const holdHup = (): void => void (hupWhileStarting = true);
  process.on('SIGHUP', holdHup);
  try {
    return await serve(o, io, logger, addresses as (readonly [string, { host: string | undefined; port: number }])[], () => {
      process.off('SIGHUP', holdHup);
      return hupWhileStarting;
    });
  } finally {
    process.off('SIGHUP', holdHup);
  }
}

/** `serve` once its flags are checked; `started()` says whether a SIGHUP came before it could be handled. */
async function serve(o: ServeOptions, io: CliIo, logger: Logger, addresses: (readonly [string, { host: string | undefined; port: number }])[], started: () => boolean): Promise<number> {
  // At start an invalid configuration is an error (exit 2); later, a bad edit keeps the running configuration.
  if ((await loadAuditConfig(o.configFile, io)) === null) return EXIT.usage;
  const config = createConfigReloader(o.configFile, logger, io.clock);
  await config.reload('start');
  let web: WebConfig | null = null;
  /** When the web configuration was last read: a file written since, before its watch began, is read again. */
  let webReadAt = Date.now();
  if (o.webConfigFile !== undefined) {
    try {
      web = await loadWebConfig(o.webConfigFile);
    } catch (err) {
      io.stderr(`keyring-exporter: --web.config.file ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  for (const what of web?.notApplied ?? []) logger.warn('web configuration: not applied', { what });
  /** Whether the last (re)load of the web configuration succeeded, and when one last did. */
  const webState = { successful: true, lastSuccess: Math.floor(io.clock()) };

  // What the last read confirmed: only records not seen before are asked about and parsed (parser/read-memo.ts).
  const memo = createReadMemo();
  /** The same, of the last read as each other uid (--view all-users). */
  const memos = new Map<number, ReadMemo>();
  // A procfs stays what it is while the exporter serves it: asked once, not at every scrape.
  const live = isLiveProc(o.procfs);
  const readSelf = (onRecord?: RecordSink): Promise<Snapshot> => readSnapshot(o.procfs, io.clock, { memo, live, ...(onRecord !== undefined ? { onRecord } : {}) });
  const readAll = async (onRecord?: RecordSink): Promise<Snapshot> => {
    const r = await readAllUsersSnapshot(o.procfs, io.clock, { maxUids: o.maxUids, memo, memos, live, ...(onRecord !== undefined ? { onRecord } : {}) });
    for (const f of r.coverage.failed) logger.debug('could not read /proc/keys as a uid', { uid: f.uid, error: f.error });
    return r.snapshot;
  };
  let { view, why } = await resolveView(o.view, o.procfs);
  let scraper = createScraper(view === 'self' ? readSelf : readAll);
  // The first read is only logged, in a function of its own: a local of this function would stay alive as long
  // as the server runs (it is suspended below), and at 100,000 keys an inventory is some 25 MB.
  let first: Inventory;
  try {
    first = await scraper.inventory();
  } catch (err) {
    if (!(err instanceof ViewError)) throw err;
    if (o.view !== 'auto') {
      io.stderr(`keyring-exporter: ${err.message}\n`);
      return EXIT.usage;
    }
    // auto: the capabilities were there, but the switch was refused (a system call filter): this process's view.
    ({ view, why } = { view: 'self', why: err.message });
    scraper = createScraper(readSelf);
    first = await scraper.inventory();
  }
  logStart(first, logger, o.procfs, { view, asked: o.view, why });

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
    webConfig: () => web,
    ...(o.webConfigFile !== undefined ? { webConfigReload: () => webState } : {}),
    version: packageVersion(),
    revision: buildInfo().revision,
    logger,
    exporterMetrics: o.exporterMetrics,
  });

  const servers: Server[] = [];
  let listening = '';
  try {
    for (const [address, { host, port }] of addresses) {
      listening = address;
      const server = await new Promise<Server>((resolve, reject) => {
        // With TLS configured, only HTTPS is served.
        const s: Server = web?.tls !== undefined ? createHttpsServer(web.tls, app) : createHttpServer(app);
        // What Node's TLS options cannot say about a client certificate (web-config.ts checkClient), asked of
        // the configuration in force; the connection is closed before a request is read.
        s.on('secureConnection', (socket: TLSSocket) => {
          const why = web?.checkClient?.(socket) ?? null;
          if (why === null) return;
          logger.debug('TLS client refused', { remote: socket.remoteAddress, why });
          socket.destroy();
        });
        s.keepAliveTimeout = KEEP_ALIVE_MS;
        s.once('error', reject);
        s.listen(port, host ?? '::', () => resolve(s));
      });
      servers.push(server);
      logger.info('listening', { address: `${host ?? ''}:${(server.address() as AddressInfo).port}` });
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the address is in use by another process' : e.code === 'EADDRNOTAVAIL' ? 'the address is not one of this host' : e.message;
    logger.error(`cannot listen on ${listening}: ${why}`, { address: listening, error: e.message });
    for (const s of servers) s.close();
    return EXIT.listen;
  }
  const unwatch = config.watch();
  // The web configuration is reloaded with the same triggers: a rotated certificate needs no restart.
  const reloadWeb = async (reason: string): Promise<void> => {
    if (o.webConfigFile === undefined) return;
    try {
      webReadAt = Date.now();
      const next = await loadWebConfig(o.webConfigFile);
      if ((next.tls === undefined) !== (web?.tls === undefined)) {
        webState.successful = false;
        logger.error('the web configuration adds or removes TLS: restart to apply it; keeping the previous one', { path: o.webConfigFile, reason });
        return;
      }
      if (next.tls !== undefined) for (const s of servers) (s as HttpsServer).setSecureContext(next.tls);
      const before = web?.files ?? [];
      web = next;
      webState.successful = true;
      webState.lastSuccess = Math.floor(io.clock());
      logger.info('web configuration loaded', { path: o.webConfigFile, reason });
      // Watch what the configuration names now (a certificate may have moved).
      const watcher = await webWatcher;
      watcher?.unwatch(before.filter((f) => !next.files.includes(f)));
      watcher?.add(next.files.filter((f) => !before.includes(f)));
    } catch (err) {
      webState.successful = false;
      logger.error('invalid web configuration; keeping the previous one', { reason, error: (err as Error).message });
    }
  };
  // The file and the certificate, key and CA it names: a certificate replaced in place is served without a
  // SIGHUP (exporter-toolkit reads them at each handshake).
  const webFiles = web?.files ?? [];
  const webWatcher =
    webFiles.length > 0
      ? import('chokidar').then(({ watch }) =>
          watch(webFiles, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } })
            .on('change', () => void reloadWeb('file changed'))
            .on('add', () => void reloadWeb('file created'))
            .on('ready', () => {
              if (changedSince(webFiles, webReadAt)) void reloadWeb('file changed');
            }),
        )
      : null;
  const onHup = (): void => void reloadWeb('SIGHUP');
  process.on('SIGHUP', onHup);
  if (started()) {
    logger.info('SIGHUP received while starting: reloading');
    void reloadWeb('SIGHUP');
    void config.reload('SIGHUP');
  }
  o.onListening?.(servers.map((s) => s.address() as AddressInfo));

  // Stop on SIGTERM / SIGINT (or when told to): stop accepting, let scrapes in flight finish, then exit.
  await new Promise<void>((resolve) => {
    const stop = (why: string): void => {
      logger.info('shutting down', { reason: why });
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      let open = servers.length;
      // A scraper keeps its connection alive after a scrape; close() only waits for it. So connections are
      // closed as soon as they fall idle: a scrape in flight finishes, then its connection goes.
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 20);
      const done = (): void => {
        if (--open > 0) return;
        clearInterval(sweep);
        resolve();
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
  process.off('SIGHUP', onHup);
  await (await webWatcher)?.close();
  return EXIT.ok;
}

function logStart(first: Inventory, logger: Logger, procfs: string, chosen: { view: View; asked: ScrapeView; why: string }): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  const view = chosen.view;
  const auto = chosen.asked === 'auto' ? { view_asked: 'auto', view_why: chosen.why } : {};
  logger.info('starting keyring-exporter', { version: packageVersion(), uid, procfs, view, ...auto, keys_visible: first.keys.length, uids: first.users?.length ?? 0 });
  if (uid !== 0 && view === 'self') logger.warn('not running as root: /proc/keys shows only the keys this uid may view', { note: VISIBILITY_NOTE });
  for (const f of [first.files.keys, first.files.keyUsers]) if (f.status !== 'ok') logger.warn('cannot read', { path: f.path, status: f.status, error: f.error });
  if (first.answersError !== undefined)
    logger.warn('cannot ask the kernel to confirm /proc/keys: records are read from text alone and are unconfirmed', { error: first.answersError });
}
