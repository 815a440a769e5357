/** The issue codes the parser can emit are exactly the ones docs/schemas/keys.schema.json and docs/keys.md list. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARSE_ISSUE_CODES } from '../../src/parser/parse-issue.js';

const schemaText = readFileSync(new URL('../../docs/schemas/keys.schema.json', import.meta.url), 'utf8');
const keysDoc = readFileSync(new URL('../../docs/keys.md', import.meta.url), 'utf8');

/** Every `enum` in the schema that contains "unparseable_line": the issue code lists. */
function issueCodeEnums(node: unknown, out: string[][] = []): string[][] {
  if (Array.isArray(node)) for (const n of node) issueCodeEnums(n, out);
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['enum']) && o['enum'].includes('unparseable_line')) out.push(o['enum'] as string[]);
    for (const v of Object.values(o)) issueCodeEnums(v, out);
  }
  return out;
}

describe('parse issue codes', () => {
  it('the schema lists exactly the codes of src/parser/parse-issue.ts', () => {
    const enums = issueCodeEnums(JSON.parse(schemaText));
    expect(enums.length).toBeGreaterThan(0);
    for (const e of enums) expect([...e].sort()).toEqual([...PARSE_ISSUE_CODES].sort());
  });
  it('docs/keys.md explains every code', () => {
    for (const c of PARSE_ISSUE_CODES) expect(keysDoc, c).toContain(`| \`${c}\` |`);
  });
  it('every code is emitted somewhere in src/parser (no code is documented but dead)', () => {
    // a cheap guard against the list and the code drifting apart; the behaviour is tested per parser
    const sources = ['proc-keys.ts', 'proc-keys-exact.ts', 'proc-keys-text.ts', 'proc-key-users.ts', 'keys-sysctl.ts'].map((f) => readFileSync(new URL(`../../src/parser/${f}`, import.meta.url), 'utf8')).join('\n');
    for (const c of PARSE_ISSUE_CODES) expect(sources, c).toContain(`'${c}'`);
  });
});
