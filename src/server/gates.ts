/**
 * What every request passes before it is answered, as plain Node request handling: the headers of
 * --web.config.file, its rate_limit, --web.max-requests, then basic auth. The two health endpoints pass with the
 * headers only: they say only that the process is up, and Kubernetes' probes cannot send credentials without
 * writing them into the pod spec (exporter-toolkit guards them too; the DaemonSet's probes need them open).
 *
 * The limit comes before authentication, so that a flood of wrong passwords costs at most --web.max-requests
 * bcrypt checks waiting at once (basic-auth.ts runs them off the event loop); the probes answer meanwhile.
 *
 * The gate is one function with express's middleware signature, so that express runs it in front of its routes
 * and app.ts runs the same function in front of the exposition, which it answers without express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBasicAuth } from './basic-auth.js';
import type { WebConfig } from './web-config.js';

export type Gate = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The request target's path, as express's req.path has it (the query left out); null for a target that is not a path. */
export function pathOf(url: string | undefined): string | null {
  if (url === undefined || !url.startsWith('/')) return null;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A short text answer, as express's res.status(status).type('text/plain').send(text) writes it. */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** What /-/healthy and /-/ready answer (matched as express matches a route: any case, a trailing slash or not); null for another path. */
export function probeAnswer(path: string): string | null {
  const p = path.toLowerCase().replace(/\/$/, '');
  return p === '/-/healthy' ? 'Healthy\n' : p === '/-/ready' ? 'Ready\n' : null;
}

export function createGate(o: { maxRequests: number; webConfig?: () => WebConfig | null }): Gate {
  // rate_limit: a token bucket, started afresh when the configuration changes.
  let bucket: { of: WebConfig['rateLimit']; tokens: number; at: number } | null = null;
  let active = 0;
  const checkAuth = createBasicAuth();
  return (req, res, next) => {
    const web = o.webConfig?.() ?? null;
    if (web !== null) for (const [name, value] of Object.entries(web.headers)) res.setHeader(name, value);
    if (probeAnswer(pathOf(req.url) ?? '') !== null) return next();

    const limit = web?.rateLimit;
    if (limit !== undefined) {
      const now = performance.now();
      if (bucket === null || bucket.of !== limit) bucket = { of: limit, tokens: limit.burst, at: now };
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) / limit.intervalMs);
      bucket.at = now;
      if (bucket.tokens < 1) return sendText(res, 429, 'too many requests (rate_limit of --web.config.file)\n');
      bucket.tokens -= 1;
    }

    if (active >= o.maxRequests) return sendText(res, 503, `too many requests in flight (--web.max-requests ${o.maxRequests})\n`);
    active++;
    res.on('close', () => active--);

    const users = web?.users;
    if (users === undefined) return next();
    checkAuth(users, req.headers.authorization).then(
      (ok) => {
        if (ok) return next();
        res.setHeader('WWW-Authenticate', 'Basic realm="keyring-exporter", charset="UTF-8"');
        sendText(res, 401, 'Unauthorized\n');
      },
      (err: unknown) => next(err),
    );
  };
}
