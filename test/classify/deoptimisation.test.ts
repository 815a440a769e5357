/**
 * The parser's and the classifier's optimised code survives read after read. A serving exporter parses and
 * classifies each read once, with a full collection between reads (procfs/collect-garbage.ts); code that V8 keeps
 * throwing away runs unoptimised through the next read. Found twice by `--trace-deopt` rather than by a timing:
 * the classifier deoptimised several times a read for "code dependencies" (class indexes kept in an object whose
 * hidden class another object changed, session 9), and for "weak objects" when the last table or classifier was
 * freed (parser/key-table.ts EMPTY_KEY_TABLE, classify/inventory.ts LAST).
 *
 * Runs the build (global-setup.ts makes it) in a child process with --trace-deopt: 30 reads of 50,000 generated
 * keys (a large read: a full collection follows each), made as scripts/bench.ts makes them, keeping nothing of a
 * read past it, and counts the deoptimisations after the 10th. With the class indexes in an object, the first
 * check found 75.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/runtime-copy.js';

const KEYS = 50_000;
const READS = 30;
const WARM = 10;

const SCRIPT = `
const bench = await import(${JSON.stringify(join(REPO, 'dist/scripts/bench.js'))});
const files = await import(${JSON.stringify(join(REPO, 'dist/src/procfs/read-proc-files.js'))});
const sysctl = await import(${JSON.stringify(join(REPO, 'dist/src/parser/keys-sysctl.js'))});
const { keys, keyUsers } = bench.generateProcKeys(${KEYS});
const ok = (path, text) => ({ path, status: 'ok', text });
const input = bench.asRead({
  keys: { path: 'keys', status: 'ok', source: files.bufferSource(Buffer.from(keys, 'latin1')) },
  keyUsers: ok('key-users', keyUsers),
  sysctls: Object.fromEntries(sysctl.KEYS_SYSCTLS.map((s) => [s, ok(s, '200\\n')])),
});
for (let r = 0; r < ${READS}; r++) {
  console.log('READ ' + r);
  // Nothing of the read is kept past it (the deoptimisations came when its objects were freed).
  if (bench.parseAndClassify(input).inventory.byRow.rows.length !== ${KEYS}) throw new Error('rows');
  await bench.betweenReads(keys.length);
}
`;

describe('optimised code across reads', () => {
  it(`is not deoptimised for "code dependencies" after ${WARM} reads, and hardly at all`, () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--trace-deopt', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const warm = lines.indexOf(`READ ${WARM}`);
    expect(warm).toBeGreaterThan(0);
    expect(lines).toContain(`READ ${READS - 1}`);
    // "[marking dependent code ... (<SharedFunctionInfo NAME>) ... for deoptimization, reason: REASON]"
    const after = lines.slice(warm).filter((l) => l.startsWith('[marking dependent code') || l.startsWith('[bailout'));
    const named = after.map((l) => `${/SharedFunctionInfo ([\w$]*)/.exec(l)?.[1] ?? '?'}: ${/reason: ([^)\]]*)/.exec(l)?.[1] ?? '?'}`);
    expect(named.filter((n) => n.endsWith('code dependencies'))).toEqual([]);
    // The few left are V8's own churn (a weak object or a map seen for the first time), not one per read.
    expect(named.length, named.join('\n')).toBeLessThan(READS - WARM);
  });
});
