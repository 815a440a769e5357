/** A session keyring kept alive while a test looks at its keys (test/procfs/*: the kernel asked about real keys). */
import { spawn } from 'node:child_process';

export interface HeldSession {
  /** What the script printed before it was ready, a line each (the serials it made). */
  lines: string[];
  /** Clear the session keyring and let the session end (killed by its pid if it does not). */
  end(): Promise<void>;
}

/**
 * Run `script` in a new session keyring (as `prefix`, e.g. setpriv, when given) and keep the session alive
 * until end(): the script's arguments are `args` ($1...), so descriptions need no quoting.
 */
export function holdSession(script: string, args: string[] = [], prefix: string[] = []): Promise<HeldSession> {
  const full = `${script}\necho READY\nread -t 60 _\nkeyctl clear @s`;
  const argv = [...prefix, 'keyctl', 'session', '-', 'bash', '-c', full, 'bash', ...args];
  const child = spawn(argv[0] as string, argv.slice(1), { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const end = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => (err += b.toString('latin1')));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (out.endsWith('READY\n')) resolve({ lines: out.split('\n').slice(0, -2), end });
    });
    child.on('error', reject);
    void exited.then(() => reject(new Error(`the session ended before it was ready: ${err}`)));
  });
}

