/**
 * The HTTP side of `serve`, node_exporter style: the exposition at the telemetry path (OpenMetrics when the
 * scraper asks for it, the Prometheus text format otherwise), a landing page, /-/healthy and /-/ready, and a
 * bound on requests served at once.
 */
import express, { type Request, type Response } from 'express';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createExporterMetrics } from './exporter-metrics.js';
import type { AuditConfig } from '../audit/audit-config.js';
import { createGauges, updateGauges } from '../collector/collectors.js';
import { createFirstSeen } from '../collector/first-seen.js';
import { joinFamilies } from '../collector/gauge-family.js';
import type { CollectorName } from '../collector/metric-families.js';
import type { Logger } from './logger.js';
import { runAudit } from '../audit/run-audit.js';
import { auditJsonChunks } from '../report/audit-document.js';
import { keysJsonChunks } from '../report/keys-document.js';
import type { Scraper } from './scraper.js';
import { createGate, pathOf, sendText } from './gates.js';
import type { WebConfig } from './web-config.js';

export interface AppOptions {
  scraper: Scraper;
  /** The procfs root, named in the audit document. */
  procRoot: string;
  telemetryPath: string;
  maxRequests: number;
  enabled: ReadonlySet<CollectorName>;
  maxUids: number;
  auditConfig: () => AuditConfig;
  version: string;
  revision: string;
  logger: Logger;
  /** Export the exporter's own process_* and nodejs_* metrics (off with --web.disable-exporter-metrics). */
  exporterMetrics: boolean;
  /** The state of --config.file reloads. */
  configReload: () => { successful: boolean; lastSuccess: number };
  /** The state of --web.config.file reloads. */
  webConfigReload?: () => { successful: boolean; lastSuccess: number };
  /**
   * Serve the audit JSON at /audit and the keys JSON at /keys (--web.enable-audit-endpoint), of the same reads
   * the scrapes make: they show key descriptions, so they are off by default.
   */
  auditEndpoint: boolean;
  /** The current --web.config.file (basic auth users, headers); null without one. */
  webConfig?: () => WebConfig | null;
}

/** The content types prom-client's Registry names for the two formats. */
export const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function createApp(o: AppOptions): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  // An exposition is made afresh for every scrape: an ETag would only cost a hash of the body.
  app.set('etag', false);
  // The exporter's own metrics (process_*, nodejs_*, keyring_exporter_reads_total), then the keyring_* families.
  const own = createExporterMetrics(o.exporterMetrics);

  const gate = createGate(o);
  app.use(gate);

  // One exposition per format in the making at a time: scrapes that arrive meanwhile get the same one (they
  // would share its read anyway; this also shares the audit and the serialising). Nothing outlives it.
  // The keyring_* families are made once and updated by each scrape (updateGauges resets them first, so a
  // series that vanished is not exported); their lines are written right after the update, with no await in
  // between, so two renders in flight (one per format) never see each other's values.
  const gauges = createGauges();
  const firstSeen = createFirstSeen();
  // As app.get() matched it: case-insensitively, with or without a trailing slash.
  const telemetry = o.telemetryPath.replace(/\/$/, '').toLowerCase();
  const isTelemetryPath = (path: string): boolean => {
    const p = path.toLowerCase();
    return p === telemetry || p === `${telemetry}/`;
  };
  const rendering = new Map<boolean, Promise<{ contentType: string; body: Buffer }>>();
  const render = async (openMetrics: boolean): Promise<{ contentType: string; body: Buffer }> => {
    // The read is asked for first (concurrent scrapes share it); the exporter's own metrics are written first, as
    // they were when its registry was merged with the scrape's.
    const reading = o.scraper.inventory();
    // Awaited below; handled here too, so that a read failing meanwhile is not an unhandled rejection.
    reading.catch(() => undefined);
    const families = own.families(openMetrics, o.scraper.reads);
    const inventory = await reading;
    const errors = updateGauges(gauges, inventory, {
      enabled: o.enabled,
      maxUids: o.maxUids,
      auditConfig: o.auditConfig(),
      version: o.version,
      revision: o.revision,
      nodejsVersion: process.version,
      clock: () => performance.now() / 1000,
      configReload: o.configReload(),
      ...(o.webConfigReload !== undefined ? { webConfigReload: o.webConfigReload() } : {}),
      firstSeen,
    });
    for (const f of Object.values(gauges)) if (!f.empty) families.push(f.format());
    for (const [collector, error] of errors) o.logger.error('collector failed', { collector, error });
    // Encoded once, for every scrape that shares this exposition.
    return { contentType: openMetrics ? OPENMETRICS : PROMETHEUS_TEXT, body: Buffer.from(joinFamilies(families, openMetrics)) };
  };

  // The exposition: GET or HEAD at the telemetry path.
  const serveExposition = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const openMetrics = (req.headers.accept ?? '').includes('application/openmetrics-text');
      let exposition = rendering.get(openMetrics);
      if (exposition === undefined) {
        exposition = render(openMetrics).finally(() => rendering.delete(openMetrics));
        rendering.set(openMetrics, exposition);
      }
      const { contentType, body } = await exposition;
      res.statusCode = 200;
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Length', body.length);
      res.end(body);
    } catch (err) {
      o.logger.error('scrape failed', { error: err instanceof Error ? err.message : String(err) });
      sendText(res, 500, 'scrape failed; see the exporter log\n');
    }
  };

  // The documents of the scrape's read, written in pieces as they are made: at 1,000,000 keys the keys document
  // is longer than any string V8 can make.
  const serveDocument = async (res: Response, what: string, chunks: (inventory: Awaited<ReturnType<Scraper['inventory']>>) => Iterable<string>): Promise<void> => {
    try {
      const inventory = await o.scraper.inventory();
      const closed = new Promise<void>((r) => res.once('close', r));
      res.type('application/json');
      for (const chunk of chunks(inventory)) {
        if (res.write(chunk)) continue;
        await Promise.race([new Promise((r) => res.once('drain', r)), closed]);
        if (res.destroyed) return;
      }
      res.end();
    } catch (err) {
      o.logger.error(`${what} failed`, { error: err instanceof Error ? err.message : String(err) });
      if (res.headersSent) res.destroy();
      else res.status(500).type('text/plain').send(`${what} failed; see the exporter log\n`);
    }
  };
  if (o.auditEndpoint) {
    const meta = { procRoot: o.procRoot, version: o.version };
    app.get('/audit', (_req: Request, res: Response) =>
      serveDocument(res, 'audit', (inventory) => auditJsonChunks(inventory, runAudit(inventory, o.auditConfig()), { ...meta, failOn: 'never', exitCode: 0 })),
    );
    app.get('/keys', (_req: Request, res: Response) => serveDocument(res, 'keys', (inventory) => keysJsonChunks(inventory, meta)));
  }

  app.get('/-/healthy', (_req, res) => void res.type('text/plain').send('Healthy\n'));
  app.get('/-/ready', (_req, res) => void res.type('text/plain').send('Ready\n'));

  if (o.telemetryPath !== '/')
    app.get('/', (_req, res) => {
      res.type('html').send(
        `<!doctype html><html><head><meta charset="utf-8"><title>keyring-exporter</title></head><body>` +
          `<h1>keyring-exporter</h1><p>Prometheus exporter and security auditor for Linux kernel keyrings, version ${escapeHtml(o.version)}.</p>` +
          `<ul><li><a href="${escapeHtml(o.telemetryPath)}">Metrics</a></li>` +
          (o.auditEndpoint ? '<li><a href="/audit">Audit (JSON)</a></li><li><a href="/keys">Keys (JSON)</a></li>' : '') +
          `<li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>` +
          `</body></html>\n`,
      );
    });

  app.use((_req, res) => void res.status(404).type('text/plain').send('not found\n'));

  // Scrapes are answered without express: its dispatch of a request (the prototypes it sets, the router's
  // layers) is some 15% of a small host's scrape (`npm run bench`), for an answer that is always the same kind.
  // They pass the same gate first; every other request is express's.
  return (req, res) => {
    const path = pathOf(req.url);
    if (path === null || !isTelemetryPath(path) || (req.method !== 'GET' && req.method !== 'HEAD')) return void app(req, res);
    gate(req, res, (err) => {
      if (err === undefined) return void serveExposition(req, res);
      o.logger.error('scrape failed', { error: err instanceof Error ? err.message : String(err) });
      sendText(res, 500, 'scrape failed; see the exporter log\n');
    });
  };
}
