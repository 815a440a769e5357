/** The audit as Markdown, to paste into a ticket. Every character Markdown would interpret is escaped. */
import type { AuditReport } from '../audit/run-audit.js';
import type { Severity } from '../audit/finding.js';
import type { Inventory } from '../classify/inventory.js';
import type { DocumentMeta } from './keys-document.js';
import { confirmationNote, visibilityNote } from './notes.js';
import { describeView } from './audit-text.js';
import { TRUST_STORE_KEYS_SHOWN } from './trust-store-report.js';
import { formatKerberosLines } from './kerberos-report.js';
import type { TrustStore } from '../classify/trust-store.js';
import { escapeByteString } from '../parser/byte-string.js';

/**
 * Escape text so that Markdown shows it literally inside a paragraph, list item or table cell: the characters
 * that open inline markup (emphasis, code, links, HTML, tables, strikethrough) and line breaks. Nothing here
 * starts a line, so block markers (#, -, 1.) need no escape.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>|~!&]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/**
 * Remediation text: its `code spans` stay code spans, the text around them is escaped. Safe for any text: what
 * is not escaped is inside a code span, where Markdown interprets nothing.
 */
export function escapeMarkdownKeepingCode(s: string): string {
  return s
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : escapeMarkdown(part)))
    .join('');
}

/**
 * Text shown as a code span: Markdown interprets nothing inside one (no link, autolink, mention, reference or
 * HTML), whatever a key description put in the text. The fence is longer than any run of backticks inside.
 */
export function codeSpan(s: string): string {
  const flat = s.replace(/\r?\n/g, ' ');
  let longest = 0;
  for (const run of flat.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

const ORDER: Severity[] = ['critical', 'warning', 'info'];

export function formatAuditMarkdown(
  inv: Inventory,
  report: AuditReport,
  opts: { procRoot: string; exitCode: number; failOn: string; coverage?: DocumentMeta['coverage'] },
): string {
  const out: string[] = [];
  out.push(`# keyring-exporter audit`, '');
  out.push('| | |', '|---|---|');
  out.push(`| source | ${escapeMarkdown(opts.procRoot)} |`);
  out.push(`| view | ${escapeMarkdown(describeView(opts.coverage, inv).replace(/^view: /, ''))} |`);
  out.push(`| keys visible | ${inv.summary.keys} (${inv.summary.suspect} suspect) |`);
  out.push(`| uids in /proc/key-users | ${inv.users?.length ?? 0} |`);
  out.push(`| findings | ${report.counts.critical} critical, ${report.counts.warning} warning, ${report.counts.info} info |`);
  out.push(`| exit code | ${opts.exitCode} (fail on ${escapeMarkdown(opts.failOn)}) |`);
  for (const severity of ORDER) {
    const list = report.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push('', `## ${severity[0]?.toUpperCase()}${severity.slice(1)} (${list.length})`, '');
    for (const f of list) {
      const where = [f.uid !== undefined ? `uid ${f.uid}` : '', f.serial !== undefined ? `key ${f.serial}` : '', f.line !== undefined ? `line ${f.line}` : '']
        .filter((x) => x !== '')
        .join(', ');
      // The message quotes key descriptions, which any user writes: a code span, so none of it is live.
      out.push(`- \`${f.check}\`${where !== '' ? ` (${where})` : ''}: ${codeSpan(f.message)}`);
      out.push(`  - Fix: ${escapeMarkdownKeepingCode(f.remediation)}`);
    }
  }
  if (report.findings.length === 0) out.push('', 'No findings.');
  if (inv.kerberos.length > 0) out.push('', '## Kerberos caches', '', ...formatKerberosLines(inv.kerberos).map((l) => `- ${escapeMarkdown(l)}`));
  out.push('', '## Trust store', '', ...trustStoreMarkdown(inv.trustStore));
  out.push('', `_${escapeMarkdown(confirmationNote(inv))}_`, '', `_${escapeMarkdown(visibilityNote(opts.coverage))}_`);
  return out.join('\n') + '\n';
}

/** The kernel's keyrings of certificates as a table: what each admits, its keys, its certificates' subjects. */
function trustStoreMarkdown(store: TrustStore): string[] {
  if (!store.known) return [`Not known: ${escapeMarkdown(store.why)}.`];
  if (store.keyrings.length === 0) return ['None of the kernel\'s keyrings of certificates is visible to this reader.'];
  const rows = store.keyrings.map((k) => {
    const certs = k.keys.filter((key) => key.type === 'asymmetric');
    const shown = certs.slice(0, TRUST_STORE_KEYS_SHOWN).map((c) => codeSpan(escapeByteString(c.subject ?? c.description)));
    const more = certs.length > TRUST_STORE_KEYS_SHOWN ? ` and ${certs.length - TRUST_STORE_KEYS_SHOWN} more` : '';
    return `| ${codeSpan(escapeByteString(k.name))} | ${k.role} | ${k.error !== null ? `not listed (${escapeMarkdown(k.error)})` : k.keys.length} | ${shown.join(', ')}${more} |`;
  });
  return ['| keyring | admits | keys | certificates |', '|---|---|---|---|', ...rows];
}
