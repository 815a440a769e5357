/**
 * A small leveled logger with node_exporter's --log.level and --log.format (logfmt | json), to stderr.
 * Values are escaped: a key description can never fake a log line.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

/** Control characters (newlines, escape sequences) become \xNN: no value can start a new log line. */
function escapeControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function logfmtValue(v: string | number | boolean): string {
  const s = escapeControls(String(v));
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `"${s.replace(/"/g, '\\"')}"`;
}

export function createLogger(level: LogLevel, format: LogFormat, write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const log = (lvl: LogLevel, msg: string, fields: Fields = {}): void => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entry: Record<string, string | number | boolean> = { time: clock().toISOString(), level: lvl, msg };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) entry[k] = v;
    if (format === 'json') write(JSON.stringify(entry) + '\n'); // JSON.stringify escapes control characters itself
    else write(Object.entries(entry).map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ') + '\n');
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
