/**
 * A small leveled logger with node_exporter's --log.level and --log.format (logfmt | json), to stderr, in the
 * shape of Prometheus' own lines (prometheus/common promslog): `time=... level=INFO source=file.js:42 msg=...`
 * then the fields, or the same keys as a JSON object.
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

/** C1 controls and the Unicode line separators, which JSON.stringify leaves as they are, as \uXXXX. */
function escapeC1(s: string): string {
  return s.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A logfmt value: bare when it is one plain word, else quoted as go-logfmt quotes (JSON's escapes: `\\`, `\"`,
 * `\n`, `\u001b`), so that no value can end early or start a new log line, and no control character reaches a
 * terminal.
 */
export function logfmtValue(v: string | number | boolean): string {
  const s = String(v);
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : escapeC1(JSON.stringify(s));
}

/** This file's name, as the stack shows it: frames in it are the logger's own. */
const SELF = /[^/\\]+$/.exec(new URL(import.meta.url).pathname)?.[0] ?? 'logger.js';

/** `file:line` of the code that called the logger (promslog's source), or undefined. */
function callerSource(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const frame of stack.slice(1)) {
    const m = /([^/\\ (]+):(\d+):\d+\)?$/.exec(frame);
    if (m !== null && m[1] !== SELF) return `${m[1]}:${m[2]}`;
  }
  return undefined;
}

export function createLogger(level: LogLevel, format: LogFormat, write: (line: string) => void, clock: () => Date = () => new Date()): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const log = (lvl: LogLevel, msg: string, fields: Fields = {}): void => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entry: Record<string, string | number | boolean> = { time: clock().toISOString(), level: lvl.toUpperCase() };
    const source = callerSource();
    if (source !== undefined) entry['source'] = source;
    entry['msg'] = msg;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) entry[k] = v;
    if (format === 'json') write(escapeC1(JSON.stringify(entry)) + '\n');
    else write(Object.entries(entry).map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ') + '\n');
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
