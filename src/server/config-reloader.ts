/**
 * --config.file for `serve`: loaded at start, reloaded when the file changes (chokidar) and on SIGHUP. A new
 * file that is invalid is rejected whole: the previous configuration stays in force, the errors are logged,
 * and keyring_exporter_config_last_reload_successful turns 0 until a valid file is loaded.
 * The trust store baseline the file names is read again with it. The YAML parser, the schema validator and
 * chokidar are loaded only when there is a file.
 */
import { statSync } from 'node:fs';
import { DEFAULT_AUDIT_CONFIG, type AuditConfig } from '../audit/audit-config.js';
import { readAuditConfig } from './read-audit-config.js';
import type { Logger } from './logger.js';

export interface ConfigReloader {
  readonly config: AuditConfig;
  readonly state: { successful: boolean; lastSuccess: number };
  /** Load the file again; resolves true when it was valid. */
  reload(reason: string): Promise<boolean>;
  /** Start watching the file; returns a function that stops. */
  watch(): () => Promise<void>;
}

/**
 * Whether any of `files` may have been written at or after `since` (ms since the epoch): a file replaced between
 * its read and the start of its watch (chokidar reports only what changes once it is ready) is read again then.
 * File times come from the kernel's coarse clock, which lags Date.now() by up to a tick: a second of margin,
 * at the cost of reading again a file written just before its read.
 */
export function changedSince(files: readonly string[], since: number): boolean {
  return files.some((f) => {
    try {
      return statSync(f).mtimeMs >= since - 1000;
    } catch {
      return false;
    }
  });
}

export function createConfigReloader(path: string | undefined, logger: Logger, clock: () => number): ConfigReloader {
  let config = DEFAULT_AUDIT_CONFIG;
  const state = { successful: true, lastSuccess: Math.floor(clock()) };
  /** When the file was last read. */
  let readAt = Date.now();
  const reload = async (reason: string): Promise<boolean> => {
    if (path === undefined) return true;
    readAt = Date.now();
    const r = await readAuditConfig(path);
    if (!r.ok) {
      state.successful = false;
      for (const e of r.errors)
        logger.error('invalid configuration; keeping the previous one', { path: e.file, reason, line: e.line ?? undefined, field: e.field !== '' ? e.field : undefined, error: e.message });
      return false;
    }
    config = r.config;
    state.successful = true;
    state.lastSuccess = Math.floor(clock());
    logger.info('configuration loaded', { path, reason });
    return true;
  };
  return {
    get config(): AuditConfig {
      return config;
    },
    state,
    reload,
    watch(): () => Promise<void> {
      if (path === undefined) return async () => undefined;
      const watching = import('chokidar').then(({ watch }) =>
        watch(path, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } })
          .on('change', () => void reload('file changed'))
          .on('add', () => void reload('file created'))
          .on('ready', () => {
            if (changedSince([path], readAt)) void reload('file changed');
          }),
      );
      const onHup = (): void => void reload('SIGHUP');
      process.on('SIGHUP', onHup);
      return async () => {
        process.off('SIGHUP', onHup);
        await (await watching).close();
      };
    },
  };
}
