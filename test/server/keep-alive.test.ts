/**
 * A scraper's connection stays open between scrapes: Prometheus keeps a target's idle connection for 5 minutes
 * (prometheus/common config/http_config.go idleConnTimeout) and the exporter keeps it a little longer
 * (serve-command.ts KEEP_ALIVE_MS). With Node's default of 5 s, every scrape 15 s apart opened a new connection,
 * and over TLS made a new handshake.
 */
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { KEEP_ALIVE_MS, runServeCommand } from '../../src/cli/serve-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { serveOptions } from '../helpers/serve-options.js';

const fixture = new URL('../fixtures/root-host-baseline/', import.meta.url).pathname;
const io: CliIo = { stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => 1_800_000_000 };

function get(port: number, agent: Agent): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve keeps connections alive between scrapes', () => {
  it('answers a second scrape on the same connection after 6 idle seconds (Node closes it after 5 by default)', async () => {
    expect(KEEP_ALIVE_MS).toBeGreaterThan(5 * 60 * 1000);
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let port = 0;
    const done = runServeCommand(serveOptions(fixture, { onListening: (a) => void (port = a[0]?.port ?? 0), stop: stopped }), io);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 250 && port === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await get(port, agent)).toEqual({ status: 200, reused: false });
      await new Promise((r) => setTimeout(r, 6000));
      expect(await get(port, agent)).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
      stop();
      await done;
    }
  }, 20_000);
});
