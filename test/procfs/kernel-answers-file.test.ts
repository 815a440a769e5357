/**
 * The kernel's answers stored in a capture (src/procfs/kernel-answers-file.ts): written and read back byte for
 * byte, and a damaged file refused with the file and the first field at fault, never an exception.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KERNEL_ANSWERS_FILE, readKernelAnswers, writeKernelAnswers, type CaptureMeta } from '../../src/procfs/kernel-answers-file.js';
import type { KeyAnswer } from '../../src/parser/key-answer.js';

const root = mkdtempSync(join(tmpdir(), 'kre-answers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = (): string => mkdtempSync(join(root, `${dirs++}-`));

const meta: CaptureMeta = { host: 'node-1', kernelRelease: '6.8.0-45-generic', time: '2025-01-02T03:04:05.678Z', view: 'all-users', toolVersion: '0.1.0' };

/** Every byte a description can hold (all but NUL), as a latin1 byte string. */
const EVERY_BYTE = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');

const answers: KeyAnswer[] = [
  { serial: 0x3affbd6f, errno: null, type: 'user', uid: 40001, gid: 40001, perm: 0x3f010000, description: EVERY_BYTE },
  { serial: 0x10, errno: 'EKEYREVOKED' },
  { serial: 0x7fffffff, errno: null, type: 'keyring', uid: 0, gid: 65534, perm: 0xffffffff, description: '_uid.0' },
  { serial: 1, errno: 'ENOKEY' },
  { serial: 0x20, errno: null, type: '.request_key_auth', uid: -1, gid: 0, perm: 0, description: '' },
];

async function withFile(doc: unknown): Promise<Awaited<ReturnType<typeof readKernelAnswers>>> {
  const dir = newDir();
  writeFileSync(join(dir, KERNEL_ANSWERS_FILE), typeof doc === 'string' ? doc : JSON.stringify(doc));
  return readKernelAnswers(dir);
}

const valid = (): Record<string, unknown> & { answers: Record<string, unknown>[] } => ({
  format: 1,
  ...meta,
  answers: [
    { serial: 5, errno: 'ENOKEY' },
    { serial: 6, errno: null, type: 'user', uid: 0, gid: 0, perm: 0x3f010000, description: 'k' },
  ],
});

describe('kernel answers in a capture', () => {
  it('round-trip: the meta, and every answer by serial', async () => {
    const dir = newDir();
    await writeKernelAnswers(dir, meta, answers);
    const read = await readKernelAnswers(dir);
    if (!('answers' in read)) throw new Error(JSON.stringify(read));
    expect(read.meta).toEqual(meta);
    expect([...read.answers.keys()]).toEqual([1, 0x10, 0x20, 0x3affbd6f, 0x7fffffff]);
    for (const a of answers) expect(read.answers.get(a.serial)).toEqual(a);
  });

  it('keeps every byte of a description (0x01 to 0xff) as it was, in a file of valid UTF-8', async () => {
    const dir = newDir();
    await writeKernelAnswers(dir, meta, [answers[0] as KeyAnswer]);
    const bytes = readFileSync(join(dir, KERNEL_ANSWERS_FILE));
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toContain('"answers":[');
    const read = await readKernelAnswers(dir);
    if (!('answers' in read)) throw new Error(JSON.stringify(read));
    const d = read.answers.get(0x3affbd6f);
    expect(d?.errno === null && Buffer.from(d.description, 'latin1')).toEqual(Buffer.from(EVERY_BYTE, 'latin1'));
  });

  it('writes the answers in serial order, one a line, with only their own fields', async () => {
    const dir = newDir();
    const extra = { serial: 9, errno: 'EACCES', note: 'not stored' } as KeyAnswer;
    await writeKernelAnswers(dir, meta, [answers[1] as KeyAnswer, extra, answers[3] as KeyAnswer]);
    expect(readFileSync(join(dir, KERNEL_ANSWERS_FILE), 'utf8')).toBe(
      '{"format":1,"host":"node-1","kernelRelease":"6.8.0-45-generic","time":"2025-01-02T03:04:05.678Z","view":"all-users","toolVersion":"0.1.0","answers":[\n' +
        '{"serial":1,"errno":"ENOKEY"},\n{"serial":9,"errno":"EACCES"},\n{"serial":16,"errno":"EKEYREVOKED"}\n],"keyrings":[]}\n',
    );
  });

  it('refuses to write a serial answered twice', async () => {
    await expect(writeKernelAnswers(newDir(), meta, [answers[1] as KeyAnswer, answers[1] as KeyAnswer])).rejects.toThrow('serial 16 answered twice');
  });

  it('leaves out answers about serials no key can have, and throws on an answer it could not read back', async () => {
    const dir = newDir();
    await writeKernelAnswers(dir, meta, [{ serial: 0, errno: 'ENOKEY' }, { serial: 0xfffffffd, errno: 'ENOKEY' }, answers[1] as KeyAnswer]);
    const read = await readKernelAnswers(dir);
    expect('answers' in read && [...read.answers.keys()]).toEqual([0x10]);
    const wide = { serial: 7, errno: null, type: 'user', uid: 0, gid: 0, perm: 0, description: '\u20ac' } as const;
    await expect(writeKernelAnswers(newDir(), meta, [wide])).rejects.toThrow('the answer for serial 7.description: expected up to 4095 bytes');
  });

  it('reads no answers as an empty map', async () => {
    const dir = newDir();
    await writeKernelAnswers(dir, meta, []);
    const read = await readKernelAnswers(dir);
    expect('answers' in read && read.answers.size).toBe(0);
  });

  it('says the file is absent when it is', async () => {
    expect(await readKernelAnswers(newDir())).toEqual({ absent: true });
  });

  const broken: [string, (d: ReturnType<typeof valid>) => unknown, string][] = [
    ['another format', (d) => ({ ...d, format: 2 }), 'format: expected 1, got 2'],
    ['no host', (d) => ({ ...d, host: undefined }), 'host: expected a string, got nothing'],
    ['a time that is not ISO 8601', (d) => ({ ...d, time: 'yesterday' }), 'time: expected an ISO 8601 time, got "yesterday"'],
    ['an unknown view', (d) => ({ ...d, view: 'everyone' }), 'view: expected "self" or "all-users", got "everyone"'],
    ['answers not an array', (d) => ({ ...d, answers: {} }), 'answers: expected an array, got {}'],
    ['an answer that is not an object', (d) => ({ ...d, answers: [...d.answers, 7] }), 'answers[2]: expected an object, got 7'],
    ['serial 0', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], serial: 0 }] }), 'answers[1].serial: expected an integer from 1 to 2147483647, got 0'],
    ['serial past 2^31-1', (d) => ({ ...d, answers: [{ ...d.answers[0], serial: 2 ** 31 }] }), 'answers[0].serial: expected an integer from 1 to 2147483647, got 2147483648'],
    ['a serial as a string', (d) => ({ ...d, answers: [{ ...d.answers[0], serial: '5' }] }), 'answers[0].serial: expected an integer from 1 to 2147483647, got "5"'],
    ['a serial twice', (d) => ({ ...d, answers: [d.answers[0], d.answers[0]] }), 'answers[1].serial: 5 is answered twice'],
    ['errno a number', (d) => ({ ...d, answers: [{ ...d.answers[0], errno: 126 }] }), 'answers[0].errno: expected null or an errno name, got 126'],
    ['errno missing', (d) => ({ ...d, answers: [{ serial: 5 }] }), 'answers[0].errno: expected null or an errno name, got nothing'],
    ['a described key without a type', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], type: undefined }] }), 'answers[1].type: expected a type name, got nothing'],
    ['a uid as a string', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], uid: '0' }] }), 'answers[1].uid: expected an integer, got "0"'],
    ['a perm as hex', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], perm: '3f010000' }] }), 'answers[1].perm: expected an integer from 0 to 0xffffffff, got "3f010000"'],
    ['a description with a NUL', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], description: 'a\0b' }] }), 'answers[1].description: expected up to 4095 bytes (a latin1 string without NUL), got "a\\u0000b"'],
    ['a description past latin1', (d) => ({ ...d, answers: [d.answers[0], { ...d.answers[1], description: '\u20ac' }] }), 'answers[1].description: expected up to 4095 bytes (a latin1 string without NUL), got "\\u20ac"'],
  ];
  it.each(broken)('names the file and the first bad field: %s', async (_name, damage, message) => {
    const read = await withFile(damage(valid()));
    expect(read).toEqual({ error: expect.stringMatching(/\/keyring-exporter-answers\.json: /) });
    expect('error' in read && read.error.split('keyring-exporter-answers.json: ')[1]).toBe(message);
  });

  it('refuses a file that is not JSON, or not an object', async () => {
    expect(await withFile('{"format":1,')).toEqual({ error: expect.stringMatching(/keyring-exporter-answers\.json: not JSON \(/) });
    expect(await withFile('[]')).toEqual({ error: expect.stringMatching(/keyring-exporter-answers\.json: expected a JSON object$/) });
  });

  it('says why it cannot read the file, without throwing', async () => {
    const dir = newDir();
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'a file where the folder should be');
    expect(await readKernelAnswers(dir)).toEqual({ error: expect.stringMatching(/keyring-exporter-answers\.json: .*ENOTDIR/) });
  });
});
