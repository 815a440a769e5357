/** What a command may touch of the process: injected so commands run in tests without a subprocess. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTty: boolean;
  clock: () => number;
  reader?: { uid: number; gid: number };
}

/**
 * A reader that goes away (`keyring-exporter keys | head`) is not an error of ours: stop quietly, as a C tool
 * killed by SIGPIPE does, with the shell's code for it (128 + 13), instead of a stack trace.
 */
function exitOnBrokenPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
}

export function processIo(): CliIo {
  process.stdout.on('error', exitOnBrokenPipe);
  const io: CliIo = {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTty: process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined,
    clock: () => Date.now() / 1000,
  };
  if (typeof process.getuid === 'function' && typeof process.getgid === 'function')
    io.reader = { uid: process.getuid(), gid: process.getgid() };
  return io;
}
