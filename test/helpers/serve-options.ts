import type { ServeOptions } from '../../src/cli/serve-command.js';
import { COLLECTORS } from '../../src/collector/metric-families.js';

/** `serve` on a free loopback port with quiet logs; tests override what they exercise. */
export function serveOptions(procfs: string, overrides: Partial<ServeOptions> = {}): ServeOptions {
  return {
    listenAddresses: ['127.0.0.1:0'],
    telemetryPath: '/metrics',
    maxRequests: 40,
    procfs,
    view: 'self',
    enabled: new Set(COLLECTORS),
    maxUids: 100,
    logLevel: 'error',
    logFormat: 'logfmt',
    exporterMetrics: false,
    auditEndpoint: false,
    ...overrides,
  };
}
