/**
 * Attack 5, escapes: terminal escape sequences in a forged record's 9-character type column (ESC [31m EVIL) and
 * in real descriptions (a title change ESC ]0;pwned BEL, a screen clear ESC [2J), a description that is
 * Markdown (a link, a mention, an HTML tag), and one that starts a new report line. Terminal outputs (keys
 * table, audit text), the Markdown audit and the metrics must carry none of them live.
 *
 * Uids 41400-41499.
 */
import { afterEach, describe, expect } from 'vitest';
import {
  KernelView,
  auditJson,
  disagreements,
  findingsOf,
  kernelFields,
  kernelKey,
  keysJson,
  lineSerials,
  recordLine,
  run,
  samples,
  show,
  startAttacker,
  stopAllAttackers,
  forgedSerials,
} from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const UID = 41400 + (process.pid % 100);

afterEach(stopAllAttackers);

const TITLE = `kre-esc-title \x1b]0;pwned\x07 clear \x1b[2J end`;
const MARKDOWN = '[click](http://evil.example) @admin <img src=x>';
const NEWLINE = 'kre-esc-newline\nFORGED-REPORT-LINE critical: uid 0 is fine';
const EVIL_TYPE = '\x1b[31mEVIL'; // 9 bytes: the whole type column

/** The Markdown left once fenced code blocks and code spans (CommonMark: a run of n backticks to the next run of n) are taken out. */
function outsideCode(md: string): string {
  const noFences = md.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  let out = '';
  let i = 0;
  while (i < noFences.length) {
    if (noFences[i] === '\\' && noFences[i + 1] === '`') {
      out += '\\`';
      i += 2;
      continue;
    }
    if (noFences[i] !== '`') {
      out += noFences[i];
      i++;
      continue;
    }
    let n = 0;
    while (noFences[i + n] === '`') n++;
    const run = '`'.repeat(n);
    let j = i + n;
    let close = -1;
    while ((j = noFences.indexOf(run, j)) !== -1) {
      if (noFences[j + n] !== '`' && noFences[j - 1] !== '`') {
        close = j;
        break;
      }
      while (noFences[j] === '`') j++;
    }
    if (close === -1) {
      out += run;
      i += n;
    } else i = close + n;
  }
  return out;
}

/** Live Markdown made of the description: a link or autolink to evil.example, the mention, the HTML tag. */
function liveMarkdown(md: string): string[] {
  const text = outsideCode(md);
  const found: string[] = [];
  if (/\]\(\s*http/i.test(text)) found.push('a link: ](http');
  if (/http:\/\/evil\.example/i.test(text)) found.push('an autolinked URL: http://evil.example');
  if (/(^|[^\\\w])@admin\b/m.test(text)) found.push('a mention: @admin');
  if (/(^|[^\\])<img\b/i.test(text)) found.push('HTML: <img');
  return found;
}

const controls = (b: Buffer): string[] => {
  const out: string[] = [];
  for (const [byte, name] of [
    [0x1b, 'ESC'],
    [0x07, 'BEL'],
  ] as const)
    if (b.includes(byte)) out.push(`${name} at byte ${b.indexOf(byte)}: ${show(b.subarray(Math.max(0, b.indexOf(byte) - 40), b.indexOf(byte) + 20))}`);
  return out;
};

describe('attack: escape sequences and Markdown in descriptions and in a forged type column', () => {
  live('no ESC or BEL reaches a terminal output or the metrics, type labels are type names, and the Markdown has no live link, mention or HTML', async () => {
    const gap = forgedSerials(1);
    const forged = gap.serials[0] as string;
    const forgedLine = recordLine({ serial: forged, flags: 'I------', perm: '3f3f3f3f', uid: UID, gid: UID, type: EVIL_TYPE, text: 'kre-evil-type' });
    const carrierDesc = `cfg: 1\n${forgedLine}`;
    const specs = [
      { desc: TITLE, perm: 0x3f3f3f3f },
      { desc: MARKDOWN, perm: 0x3f3f3f3f },
      { desc: NEWLINE, perm: 0x3f3f3f3f },
      { desc: carrierDesc, fit: { lo: gap.lo, hi: parseInt(forged, 16) } },
    ];
    const atk = await startAttacker(UID, specs);
    try {
      const [title, markdown, newline, carrier] = atk.serials as [string, string, string, string];
      specs.forEach((s, i) =>
        expect(kernelFields(kernelKey(atk.serials[i] as string))).toEqual({
          type: 'user',
          uid: UID,
          gid: UID,
          perm: (s.perm ?? 0x3f010001).toString(16).padStart(8, '0'),
          description: show(s.desc),
        }),
      );
      const printed = lineSerials();
      for (const s of [...atk.serials, forged]) expect(printed).toContain(s);

      const view = new KernelView(atk.serials);
      const table = run('keys');
      const text = run('audit --format text --fail-on never');
      const md = run('audit --format markdown --fail-on never');
      const metrics = run('metrics');
      const keys = keysJson();
      const audit = auditJson();
      const stable = view.stable();
      for (const s of atk.serials) expect(stable.has(s)).toBe(true);
      for (const r of [table, text, md, metrics]) expect(r.status, r.stderr).toBe(0);

      expect.soft(controls(table.bytes), 'ESC/BEL in `keys` (table)').toEqual([]);
      expect.soft(controls(text.bytes), 'ESC/BEL in `audit --format text`').toEqual([]);
      expect.soft(controls(md.bytes), 'ESC/BEL in `audit --format markdown`').toEqual([]);
      expect.soft(controls(metrics.bytes), 'ESC/BEL in `metrics`').toEqual([]);

      // The newline in a description starts no line of a report.
      for (const [name, r] of [
        ['keys (table)', table],
        ['audit text', text],
        ['audit markdown', md],
      ] as const)
        expect.soft(r.stdout.split('\n').filter((l) => /^\s*[-*>#|]?\s*FORGED-REPORT-LINE/.test(l)), `a report line forged in ${name}`).toEqual([]);

      // Type labels: the kernel's type names (or "other"), never the forged column.
      const typeLabels = samples(metrics.stdout)
        .filter((s) => s.name === 'keyring_keys')
        .map((s) => s.labels['type'] ?? '<none>');
      expect.soft(typeLabels.filter((t) => !/^[a-z0-9_.-]+$/.test(t)).map(show), 'keyring_keys type labels outside [a-z0-9_.-]').toEqual([]);
      expect.soft(typeLabels.filter((t) => /evil|31m/i.test(t)).map(show), 'the forged type as a label').toEqual([]);
      expect.soft(samples(metrics.stdout).filter((s) => s.name === '<unparsable>').map((s) => show(s.labels['line'] ?? '')), 'unparsable exposition lines').toEqual([]);
      expect.soft(keys.keys.map((k) => k.serial), 'the forged serial listed as a key').not.toContain(forged);
      expect.soft(findingsOf(audit).filter((f) => f.serial === forged), 'findings about the forged serial').toEqual([]);

      // The Markdown description is shown (its key has a permissive_key finding) but not live.
      expect.soft(findingsOf(audit).filter((f) => f.serial === markdown).map((f) => f.check), 'findings about the Markdown key').toContain('permissive_key');
      expect.soft(md.stdout, 'the Markdown audit names the Markdown key').toContain(markdown);
      expect.soft(liveMarkdown(md.stdout), 'live Markdown made of a description').toEqual([]);
      expect.soft([title, newline].filter((s) => !md.stdout.includes(s)), 'keys with findings missing from the Markdown audit').toEqual([]);

      expect.soft(disagreements(keys, stable), 'keys JSON against keyctl rdescribe').toEqual([]);
      expect.soft(keys.keys.filter((k) => k.serial === carrier).length, 'the carrier listed once').toBe(1);
    } finally {
      await atk.stop();
    }
  });
});
