/** Render one /proc/keys line the way security/keys/proc.c prints it (for hand-built test cases). */
export interface LineFields {
  serial: number;
  flags?: string;
  usage?: number;
  expiry?: string;
  perm?: string;
  uid?: number;
  gid?: number;
  type?: string;
  text: string;
}

const right = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);

export function renderKeyLine(f: LineFields): string {
  const type = (f.type ?? 'user').slice(0, 9).padEnd(9, ' ');
  return (
    `${f.serial.toString(16).padStart(8, '0')} ${f.flags ?? 'I--Q---'} ${right(String(f.usage ?? 1), 5)} ` +
    `${right(f.expiry ?? 'perm', 4)} ${f.perm ?? '3f010000'} ${right(String(f.uid ?? 1000), 5)} ` +
    `${right(String(f.gid ?? 1000), 5)} ${type} ${f.text}`
  );
}

/** A file: lines joined and ended with "\n", as the kernel writes it. */
export function renderKeys(lines: (LineFields | string)[]): string {
  return lines.map((l) => (typeof l === 'string' ? l : renderKeyLine(l))).join('\n') + '\n';
}
