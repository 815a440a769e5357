import { describe, expect, it } from 'vitest';
import { parseProcKeyUsers } from '../../src/parser/proc-key-users.js';
import { parseKeysSysctls } from '../../src/parser/keys-sysctl.js';

describe('parseProcKeyUsers', () => {
  it('reads every column, at any width', () => {
    const text = '    0:    71 70/70 52/1000000 1893/25000000\n 1001:     6 6/5 6/200 150/20000\n100000:     4 4/4 4/200 96/20000\n';
    const { users, issues } = parseProcKeyUsers(text);
    expect(issues).toEqual([]);
    expect(users).toEqual([
      { uid: 0, usage: 71, nkeys: 70, nikeys: 70, qnkeys: 52, maxkeys: 1000000, qnbytes: 1893, maxbytes: 25000000, line: 1 },
      { uid: 1001, usage: 6, nkeys: 6, nikeys: 5, qnkeys: 6, maxkeys: 200, qnbytes: 150, maxbytes: 20000, line: 2 },
      { uid: 100000, usage: 4, nkeys: 4, nikeys: 4, qnkeys: 4, maxkeys: 200, qnbytes: 96, maxbytes: 20000, line: 3 },
    ]);
  });
  it('one bad line costs that line only', () => {
    const text = ' 1000:    12 12/12 11/200 391/20000\ngarbage\n 1002:   205 205/205 203/200 4010/20000\n';
    const { users, issues } = parseProcKeyUsers(text);
    expect(users.map((u) => u.uid)).toEqual([1000, 1002]);
    expect(issues).toEqual([{ code: 'unparseable_line', file: 'key-users', line: 2, message: expect.any(String) }]);
  });
  it('reports a uid listed twice (concatenated or damaged files)', () => {
    const { users, issues } = parseProcKeyUsers('    0:     9 8/8 3/1000000 40/25000000\n    0:     9 8/8 3/1000000 40/25000000\n');
    expect(users).toHaveLength(1);
    expect(issues.map((i) => [i.line, i.code])).toEqual([[2, 'unparseable_line']]);
  });
  it('is empty for an empty file', () => expect(parseProcKeyUsers('')).toEqual({ users: [], issues: [] }));
});

describe('parseKeysSysctls', () => {
  it('reads each value, absent files as null, bad values as issues', () => {
    const { limits, issues } = parseKeysSysctls({ maxkeys: '200\n', maxbytes: '20000\n', root_maxkeys: 'lots\n', gc_delay: '300\n' });
    expect(limits).toEqual({ maxkeys: 200, maxbytes: 20000, root_maxkeys: null, root_maxbytes: null, gc_delay: 300, persistent_keyring_expiry: null });
    expect(issues).toEqual([{ code: 'unknown_sysctl_value', file: 'sys/kernel/keys', line: 1, message: expect.stringContaining('root_maxkeys') }]);
  });
});
