/**
 * Everything `serve` answers but the exposition and the health endpoints (app.ts answers those): the landing
 * page, the audit and keys documents (--web.enable-audit-endpoint) and the 404s, as an express app behind the
 * same gate. app.ts loads this module on the first request that needs it: express and the documents' writers
 * are some 60 ms of the exporter's start and a few MB of its memory, for pages a scraper never asks for.
 */
import express, { type Express, type Request, type Response } from 'express';
import { runAudit } from '../audit/run-audit.js';
import { auditJsonChunks } from '../report/audit-document.js';
import { keysJsonChunks } from '../report/keys-document.js';
import type { AppOptions } from './app.js';
import type { Gate } from './gates.js';
import type { Scraper } from './scraper.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function createPages(o: AppOptions, gate: Gate): Express {
  const app = express();
  app.disable('x-powered-by');
  // Every page is made afresh: an ETag would only cost a hash of the body.
  app.set('etag', false);
  app.use(gate);

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
  return app;
}
