// Tests that run the real binary (bin/keyring-exporter → dist/) need a fresh build of the sources.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
