import { DEFAULT_AUDIT_CONFIG } from '../../src/audit/audit-config.js';
import type { CollectorOptions } from '../../src/collector/collectors.js';
import { COLLECTORS } from '../../src/collector/metric-families.js';

/** Collector options for tests: every collector, fixed version strings, a clock at 0. */
export const collectorOptions = (o: Partial<CollectorOptions> = {}): CollectorOptions => ({
  enabled: new Set(COLLECTORS),
  maxUids: 100,
  auditConfig: DEFAULT_AUDIT_CONFIG,
  version: '0.0.0-test',
  revision: 'test',
  nodejsVersion: 'v0.0.0',
  clock: () => 0,
  configReload: { successful: true, lastSuccess: 1_800_000_000 },
  ...o,
});
