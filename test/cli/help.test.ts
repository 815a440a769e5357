/**
 * `keyring-exporter --help` and each command's `--help` list every flag with its default (issue 7), as
 * node_exporter's --help does: a user reading it knows what happens when a flag is left out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { createProgram, runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

function help(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (out += s), stdoutIsTty: false, clock: () => 0 };
  return runCli(argv, io).then((code) => ({ code, out }));
}

/** One help entry per option: its flags, then its description, wrapped over the following indented lines. */
function entries(text: string): Map<string, string> {
  const options = text.split(/\n(?=Options:|Commands:|Arguments:)/).find((s) => s.startsWith('Options:')) ?? '';
  const found = new Map<string, string>();
  let current: string | null = null;
  for (const line of options.split('\n').slice(1)) {
    const m = /^ {2}((?:-\w, )?--[\w.-]+)(?: <[^>]+>)?(?:\s{2,}(.*))?$/.exec(line);
    if (m !== null) {
      current = (m[1] as string).replace(/^-\w, /, '');
      found.set(current, m[2] ?? '');
    } else if (current !== null && /^\s{4,}\S/.test(line)) found.set(current, `${found.get(current) as string} ${line.trim()}`);
    else if (line.trim() === '') break;
  }
  return found;
}

const program: Command = createProgram({ stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, clock: () => 0 }, () => undefined);
const commands = program.commands.map((c) => c.name()).filter((n) => n !== 'help');

describe('--help', () => {
  it('lists every command', async () => {
    const { code, out } = await help(['--help']);
    expect(code).toBe(0);
    for (const c of ['serve', 'keys', 'audit', 'trust-store', 'capture', 'metrics']) expect(out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it.each(commands)('%s --help lists every flag, each with its default', async (name) => {
    const { code, out } = await help([name, '--help']);
    expect(code).toBe(0);
    const listed = entries(out);
    const cmd = program.commands.find((c) => c.name() === name) as Command;
    const flags = cmd.options.map((o) => o.long as string).filter((f) => f !== '--help');
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) {
      expect(listed.has(flag), `${name} --help lists ${flag}`).toBe(true);
      // --no-X is the other half of --X, whose line carries the default.
      if (flag.startsWith('--no-')) {
        expect(listed.get(flag.replace('--no-', '--')) ?? '', `${name} ${flag}`).toMatch(/\(default: enabled\)$/);
        continue;
      }
      expect(listed.get(flag) ?? '', `${name} ${flag}`).toMatch(/default: [^)]+\)$/);
    }
  });

  it('says what the flags without a value default to', async () => {
    const serve = entries((await help(['serve', '--help'])).out);
    expect(serve.get('--web.listen-address')).toContain('(default: [":10142"])');
    expect(serve.get('--web.config.file')).toContain('(default: none: plain HTTP, no authentication)');
    expect(serve.get('--web.enable-audit-endpoint')).toContain('(default: off)');
    expect(serve.get('--collector.audit')).toContain('(default: enabled)');
    expect(serve.get('--collector.disable-defaults')).toContain('(default: off)');
    const metrics = entries((await help(['metrics', '--help'])).out);
    expect(metrics.get('--output')).toContain('(default: stdout)');
    const audit = entries((await help(['audit', '--help'])).out);
    expect(audit.get('--prometheus.url')).toContain('(default: none: audit this host)');
    expect(audit.get('--fail-on')).toContain('default: "warning"');
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  /** The README's synopsis of a command: the code block that starts `keyring-exporter <command>`. */
  const synopsis = (name: string): string => {
    const head = name === 'serve' ? 'keyring-exporter [serve]' : `keyring-exporter ${name}`;
    const block = readme.split('```').find((b) => b.trimStart().startsWith(head));
    return block ?? '';
  };

  it.each(commands)('the synopsis of %s names every flag --help lists', (name) => {
    const text = synopsis(name);
    expect(text, `README has a synopsis for ${name}`).not.toBe('');
    const cmd = program.commands.find((c) => c.name() === name) as Command;
    for (const o of cmd.options) {
      if (o.long === '--help') continue;
      // One --collector.NAME / --no-collector.NAME stands for every collector.
      const flag = (o.long as string).replace(/^(--(?:no-)?collector\.)(keys|key_users|sysctl|audit|trust_store)$/, '$1NAME');
      expect(text, `README synopsis of ${name} names ${flag}`).toContain(flag);
    }
  });
});

describe('README quick start', () => {
  it('shows the log lines serve prints, in the format it prints them', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The `keys` command'));
    const { runServeCommand } = await import('../../src/cli/serve-command.js');
    const { serveOptions } = await import('../helpers/serve-options.js');
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = runServeCommand(
      { ...serveOptions(new URL('../fixtures/many-sessions/', import.meta.url).pathname, { logLevel: 'info', view: 'auto', onListening: () => stop() }), listenAddresses: ['127.0.0.1:0'], stop: stopped },
      { stdout: () => undefined, stderr: (s) => void lines.push(s), stdoutIsTty: false, clock: () => 0 },
    );
    expect(await done).toBe(0);
    // Each line the README shows has the shape of the line serve printed: the same keys, in the same order.
    const shape = (l: string): string => l.replace(/=("[^"]*"|\S+)/g, '=');
    const printed = lines.join('').split('\n').filter((l) => /msg=("starting keyring-exporter"|listening)/.test(l)).map(shape);
    const shown = quick.split('\n').filter((l) => l.startsWith('time=')).map(shape);
    expect(shown.length).toBe(2);
    expect(printed.slice(0, 2)).toEqual(shown);
  });
});
