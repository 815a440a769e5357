/**
 * The process boundary: argv in, exit code out. Flags are spelled as node_exporter spells them
 * (`--path.procfs`). Every error ends here, once.
 */
import { Command, CommanderError, Help, Option } from 'commander';
import { EXIT } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { FAIL_ON, type FailOn } from './fail-on.js';
import { SCRAPE_VIEWS, VIEWS, type ScrapeView, type View } from './views.js';
import { COLLECTORS, type CollectorName } from '../collector/metric-families.js';
import { DEFAULT_LISTEN_ADDRESS } from './listen-address.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../server/logger.js';
import { versionText } from './version.js';

/**
 * What a flag without a default value does when it is not given, for --help: commander prints a default only
 * for flags that have a value, and every flag's --help line says what happens without it.
 */
const UNSET: Record<string, string> = {
  '--web.config.file': 'none: plain HTTP, no authentication',
  '--config.file': 'none: the built-in thresholds, every check on',
  '--output': 'stdout',
  '--prometheus.url': 'none: audit this host',
  '--save': 'none: only list it',
};

function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  if (option.defaultValue !== undefined || option.negate || option.long === '--help' || option.long === '--version') return text;
  const long = option.long ?? '';
  const collector = (COLLECTORS as readonly string[]).includes(long.slice('--collector.'.length)) && long.startsWith('--collector.');
  const unset = UNSET[long] ?? (collector ? 'enabled' : option.isBoolean() ? 'off' : undefined);
  return unset === undefined ? text : `${text} (default: ${unset})`;
}

export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('keyring-exporter')
    .description('Prometheus exporter and security auditor for Linux kernel keyrings')
    .version(versionText(), '--version', 'print the version and exit')
    .configureHelp({ optionDescription })
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('keys')
    .description('list every visible key, decoded and classified')
    .option('--path.procfs <dir>', 'procfs mount point, or a folder captured from one', '/proc')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--view <view>', 'self: what this process may view; all-users: read /proc/keys as every uid (root only)').choices([...VIEWS]).default('self'))
    .action(async (opts: Record<string, string>) => {
      setExit(await (await import('./keys-command.js')).runKeysCommand({ procfs: opts['path.procfs'] ?? '/proc', format: opts['format'] as 'table' | 'json', view: opts['view'] as View }, io));
    });
  program
    .command('audit')
    .description('audit the keyrings: quotas, leaks, permissions, impostors, forged /proc/keys lines')
    .option('--path.procfs <dir>', 'procfs mount point, or a folder captured from one', '/proc')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices([...FAIL_ON]).default('warning'),
    )
    .option('--config.file <file>', 'audit configuration (YAML): thresholds, checks switched off, allow-lists')
    .addOption(new Option('--view <view>', 'self: what this process may view; all-users: read /proc/keys as every uid (root only)').choices([...VIEWS]).default('self'))
    .option('--prometheus.url <url>', 'audit the fleet: every instance this Prometheus scrapes, from the metrics already there')
    .option('--prometheus.job <job>', 'with --prometheus.url: the scrape job of the exporters', 'keyring-exporter')
    .addHelpText('after', '\nExit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or configuration error,\n3 neither /proc/keys nor /proc/key-users readable (with --prometheus.url: Prometheus unreachable).')
    .action(async (opts: Record<string, string>) => {
      if (opts['prometheus.url'] !== undefined)
        return setExit(
          await (await import('./fleet-audit.js')).runFleetAudit(
            {
              url: opts['prometheus.url'],
              job: opts['prometheus.job'] ?? 'keyring-exporter',
              format: opts['format'] as 'text' | 'json' | 'markdown',
              failOn: opts['failOn'] as FailOn,
              ...(opts['config.file'] !== undefined ? { configFile: opts['config.file'] } : {}),
            },
            io,
          ),
        );
      setExit(
        await (await import('./audit-command.js')).runAuditCommand(
          {
            procfs: opts['path.procfs'] ?? '/proc',
            format: opts['format'] as 'text' | 'json' | 'markdown',
            failOn: opts['failOn'] as FailOn,
            view: opts['view'] as View,
            ...(opts['config.file'] !== undefined ? { configFile: opts['config.file'] } : {}),
          },
          io,
        ),
      );
    });

  program
    .command('trust-store')
    .description("list the kernel's keyrings of certificates (.builtin_trusted_keys, .platform, .blacklist, ...) and what each holds")
    .option('--path.procfs <dir>', 'procfs mount point, or a folder captured from one', '/proc')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--save <file>', 'also save it as the baseline that audit compares with (trust_store.baseline in --config.file)')
    .addHelpText('after', '\nExit codes: 0 listed, 2 the baseline could not be saved, 3 /proc/keys unreadable or the kernel could not be asked what its keyrings hold.')
    .action(async (opts: Record<string, string>) => {
      setExit(
        await (await import('./trust-store-command.js')).runTrustStoreCommand(
          { procfs: opts['path.procfs'] ?? '/proc', format: opts['format'] as 'table' | 'json', ...(opts['save'] !== undefined ? { save: opts['save'] } : {}) },
          io,
        ),
      );
    });
  program
    .command('capture')
    .description('copy /proc/keys, /proc/key-users and the keys sysctls into a folder, to audit them elsewhere')
    .argument('<outdir>', 'a new or empty folder')
    .option('--path.procfs <dir>', 'procfs mount point', '/proc')
    .addOption(new Option('--view <view>', 'self: what this process may view; all-users: read /proc/keys as every uid (root only)').choices([...VIEWS]).default('self'))
    .action(async (outDir: string, opts: Record<string, string>) => {
      setExit(await (await import('./capture-command.js')).runCaptureCommand({ procfs: opts['path.procfs'] ?? '/proc', outDir, view: opts['view'] as View }, io));
    });
  const metrics = program
    .command('metrics')
    .description('print the Prometheus exposition once, or write it atomically for node_exporter\'s textfile collector')
    .option('--path.procfs <dir>', 'procfs mount point, or a folder captured from one', '/proc')
    .option('--output <file>', 'write to this file (atomically: a temporary file, then rename) instead of stdout')
    .option('--config.file <file>', 'audit configuration (YAML) for keyring_audit_findings')
    .addOption(new Option('--view <view>', 'self: what this process may view; all-users: read /proc/keys as every uid (root with CAP_SETUID and CAP_SETGID); auto: all-users where this process may, else self').choices([...SCRAPE_VIEWS]).default('auto'));
  addCollectorFlags(metrics);
  metrics.action(async (opts: Record<string, string | boolean>) => {
    const collectors = collectorOptions(opts, io);
    if (collectors === null) return setExit(EXIT.usage);
    setExit(
      await (await import('./metrics-command.js')).runMetricsCommand(
        {
          procfs: String(opts['path.procfs'] ?? '/proc'),
          view: opts['view'] as ScrapeView,
          ...collectors,
          ...(typeof opts['output'] === 'string' ? { output: opts['output'] } : {}),
          ...(typeof opts['config.file'] === 'string' ? { configFile: opts['config.file'] } : {}),
        },
        io,
      ),
    );
  });

  const serve = program
    .command('serve', { isDefault: true })
    .description('serve Prometheus metrics (the default command)')
    .option('--web.listen-address <address...>', 'addresses to listen on, host:port or :port (repeatable)', [DEFAULT_LISTEN_ADDRESS])
    .option('--web.telemetry-path <path>', 'path under which to expose metrics', '/metrics')
    .option('--web.max-requests <n>', 'requests served at once; more get 503', '40')
    .option('--web.disable-exporter-metrics', 'do not export the exporter\'s own process_* and nodejs_* metrics')
    .option('--web.enable-audit-endpoint', 'serve the audit JSON at /audit and the keys JSON at /keys (they show key descriptions)')
    .option('--web.config.file <file>', 'exporter-toolkit web configuration (YAML): TLS and basic auth')
    .option('--path.procfs <dir>', 'procfs mount point', '/proc')
    .option('--config.file <file>', 'audit configuration (YAML) for keyring_audit_findings')
    .addOption(new Option('--view <view>', 'self: what this process may view; all-users: read /proc/keys as every uid (root with CAP_SETUID and CAP_SETGID); auto: all-users where this process may, else self').choices([...SCRAPE_VIEWS]).default('auto'))
    .addOption(new Option('--log.level <level>', 'only log messages at or above this level').choices([...LOG_LEVELS]).default('info'))
    .addOption(new Option('--log.format <format>', 'log line format').choices([...LOG_FORMATS]).default('logfmt'));
  addCollectorFlags(serve);
  serve.action(async (opts: Record<string, string | boolean | string[]>) => {
    const collectors = collectorOptions(opts as Record<string, string | boolean>, io);
    const maxRequests = Number(opts['web.maxRequests']);
    if (collectors === null) return setExit(EXIT.usage);
    if (!Number.isInteger(maxRequests) || maxRequests < 1) {
      io.stderr(`keyring-exporter: --web.max-requests must be a whole number of at least 1\n`);
      return setExit(EXIT.usage);
    }
    setExit(
      await (await import('./serve-command.js')).runServeCommand(
        {
          listenAddresses: opts['web.listenAddress'] as string[],
          telemetryPath: String(opts['web.telemetryPath']),
          maxRequests,
          procfs: String(opts['path.procfs']),
          view: opts['view'] as ScrapeView,
          ...collectors,
          ...(typeof opts['config.file'] === 'string' ? { configFile: opts['config.file'] } : {}),
          logLevel: opts['log.level'] as LogLevel,
          logFormat: opts['log.format'] as LogFormat,
          exporterMetrics: opts['web.disableExporterMetrics'] !== true,
          auditEndpoint: opts['web.enableAuditEndpoint'] === true,
          ...(typeof opts['web.config.file'] === 'string' ? { webConfigFile: opts['web.config.file'] } : {}),
        },
        io,
      ),
    );
  });
  return program;
}

/**
 * node_exporter's collector flags: --collector.<name> and --no-collector.<name> for each collector (all enabled
 * by default), --collector.disable-defaults (only those named with --collector.<name>), and the uid label cap.
 */
function addCollectorFlags(cmd: Command): void {
  cmd.option('--collector.users.max-uids <n>', 'at most this many uid label values; the rest are summed into uid="other"', '100');
  cmd.option('--collector.disable-defaults', 'enable only the collectors named with --collector.<name>');
  for (const c of COLLECTORS) {
    cmd.option(`--collector.${c}`, `enable the ${c} collector`);
    cmd.option(`--no-collector.${c}`, `disable the ${c} collector`);
  }
}

function collectorOptions(opts: Record<string, string | boolean>, io: CliIo): { enabled: Set<CollectorName>; maxUids: number } | null {
  const byDefault = opts['collector.disableDefaults'] !== true;
  const maxUids = Number(opts['collector.users.maxUids']);
  if (!Number.isInteger(maxUids) || maxUids < 0) {
    io.stderr(`keyring-exporter: --collector.users.max-uids must be a whole number, not ${String(opts['collector.users.maxUids'])}\n`);
    return null;
  }
  const enabled = COLLECTORS.filter((c) => (opts[`collector.${c}`] === undefined ? byDefault : opts[`collector.${c}`] === true));
  return { enabled: new Set(enabled), maxUids };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; bad flags with commander's message already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr(`keyring-exporter: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.internal;
  }
}

export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv, processIo());
  process.exitCode = code;
}
