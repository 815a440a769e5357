/** What a command may touch of the process: injected so commands run in tests without a subprocess. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTty: boolean;
  clock: () => number;
  reader?: { uid: number; gid: number };
}

export function processIo(): CliIo {
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
