/** deploy/container/Containerfile read as its stages, for the tests that carry them out (no container engine here). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CONTAINERFILE = readFileSync(new URL('../../deploy/container/Containerfile', import.meta.url), 'utf8');

export interface Stage {
  from: string;
  name?: string;
  workdir: string;
  /** ARG lines: the name and its default. */
  args: Record<string, string>;
  steps: { op: 'COPY' | 'RUN'; from?: string; args: string[] }[];
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
}

export function stages(text: string = CONTAINERFILE): Stage[] {
  const out: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/) as [string, ...string[]];
    const stage = out[out.length - 1] as Stage;
    if (op === 'FROM') out.push({ from: rest[0] as string, ...(rest[1] === 'AS' ? { name: rest[2] as string } : {}), workdir: '/', args: {}, steps: [] });
    else if (op === 'WORKDIR') stage.workdir = rest[0] as string;
    else if (op === 'ARG') {
      const [name, value] = (rest[0] as string).split('=') as [string, string | undefined];
      stage.args[name] = value ?? '';
    } else if (op === 'COPY') {
      const from = rest[0]?.startsWith('--from=') ? rest.shift()?.slice('--from='.length) : undefined;
      stage.steps.push({ op: 'COPY', ...(from !== undefined ? { from } : {}), args: rest });
    } else if (op === 'RUN') stage.steps.push({ op: 'RUN', args: [rest.join(' ')] });
    else if (op === 'USER') stage.user = rest[0] as string;
    else if (op === 'ENTRYPOINT') stage.entrypoint = JSON.parse(rest.join(' ')) as string[];
    else if (op === 'CMD') stage.cmd = JSON.parse(rest.join(' ')) as string[];
  }
  return out;
}
