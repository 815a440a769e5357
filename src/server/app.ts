/**
 * The HTTP side of `serve`, node_exporter style: the exposition at the telemetry path (OpenMetrics when the
 * scraper asks for it, the Prometheus text format otherwise), a landing page, /-/healthy and /-/ready, and a
 * bound on requests served at once.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createExporterMetrics } from './exporter-metrics.js';
import type { AuditConfig } from '../audit/audit-config.js';
import { createGauges, updateGauges } from '../collector/collectors.js';
import { createFirstSeen } from '../collector/first-seen.js';
import { joinFamilies } from '../collector/gauge-family.js';
import type { CollectorName } from '../collector/metric-families.js';
import type { Logger } from './logger.js';
import type { Scraper } from './scraper.js';
import { createGate, pathOf, probeAnswer, sendText } from './gates.js';
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

export function createApp(o: AppOptions): RequestListener {
  // The exporter's own metrics (process_*, nodejs_*, keyring_exporter_reads_total), then the keyring_* families.
  const own = createExporterMetrics(o.exporterMetrics);

  const gate = createGate(o);

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
    // The read is asked for first (concurrent scrapes share it); the exporter's own metrics come first in the
    // exposition, taken while the read is in flight.
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

  // Every other page is express's (pages.ts), loaded with the first request for one.
  let pages: Promise<RequestListener> | null = null;
  const servePage = (req: IncomingMessage, res: ServerResponse): void => {
    pages ??= import('./pages.js').then((m) => m.createPages(o, gate));
    pages.then(
      (app) => app(req, res),
      (err: unknown) => {
        pages = null;
        o.logger.error('cannot load the pages', { error: err instanceof Error ? err.message : String(err) });
        sendText(res, 500, 'internal error; see the exporter log\n');
      },
    );
  };

  // Scrapes and the health endpoints are answered without express: its dispatch of a request (the prototypes it
  // sets, the router's layers) is some 15% of a small host's scrape (`npm run bench`), and loading it some 60 ms
  // of the exporter's start, for answers that are always the same kind. They pass the same gate first.
  return (req, res) => {
    const path = pathOf(req.url);
    if (path === null || (req.method !== 'GET' && req.method !== 'HEAD')) return servePage(req, res);
    if (isTelemetryPath(path))
      return gate(req, res, (err) => {
        if (err === undefined) return void serveExposition(req, res);
        o.logger.error('scrape failed', { error: err instanceof Error ? err.message : String(err) });
        sendText(res, 500, 'scrape failed; see the exporter log\n');
      });
    const probe = probeAnswer(path);
    if (probe === null) return servePage(req, res);
    // The gate adds the configured headers and lets a probe through.
    gate(req, res, () => sendText(res, 200, probe));
  };
}
