/**
 * The kernel's answers stored in a capture. A capture (cli/capture-command.ts) copies the keys files into a
 * folder laid out like /proc; the KEYCTL_DESCRIBE answers for the serials its /proc/keys lists (keyctl.ts) are
 * kept beside them in one JSON file, so that an offline audit confirms or refutes records as the live host did,
 * with what the trust store's keyrings linked (KEYCTL_READ, parser/trust-keyrings.ts) under "keyrings".
 *
 * Descriptions are latin1 byte strings (one character per byte). JSON.stringify writes each character as
 * itself or an escape, and the file is written and read as UTF-8, so every byte comes back as it was.
 * Reading never throws: the file is another machine's, and anything wrong with it is an `{ error }` naming
 * the file and the first field at fault.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyAnswer, KeyRefused, KeyringMembers } from '../parser/key-answer.js';
import { isIntegerIn, isObject, showValue } from '../parser/json-value.js';

export const KERNEL_ANSWERS_FILE = 'keyring-exporter-answers.json';
const FORMAT = 1;

/** Where and when the capture was made, and by which view and version of the tool. */
export interface CaptureMeta {
  host: string;
  kernelRelease: string;
  /** ISO 8601. */
  time: string;
  view: 'self' | 'all-users';
  toolVersion: string;
}

/**
 * Write DIR/keyring-exporter-answers.json: the meta and the answers, one a line, in ascending serial order.
 * An answer about a serial no key can have (0, or past 2^31-1: only a forged line names one) is left out, its
 * answer being ENOKEY without asking (keyctl.ts); any other answer the reader would refuse is a bug, thrown.
 */
export async function writeKernelAnswers(dir: string, meta: CaptureMeta, answers: Iterable<KeyAnswer>, keyrings: readonly KeyringMembers[] = []): Promise<void> {
  const kept: KeyAnswer[] = [];
  for (const a of answers) {
    if (!Number.isInteger(a.serial) || a.serial < 1 || a.serial > 0x7fffffff) continue;
    const checked = checkAnswer(a);
    if (typeof checked === 'string') throw new Error(`writeKernelAnswers: the answer for serial ${a.serial}${checked}`);
    kept.push(checked);
  }
  kept.sort((a, b) => a.serial - b.serial);
  kept.forEach((a, i) => {
    if (i > 0 && kept[i - 1]?.serial === a.serial) throw new Error(`writeKernelAnswers: serial ${a.serial} answered twice`);
  });
  const head = JSON.stringify({
    format: FORMAT,
    host: meta.host,
    kernelRelease: meta.kernelRelease,
    time: meta.time,
    view: meta.view,
    toolVersion: meta.toolVersion,
  });
  const list = (items: readonly unknown[]): string => (items.length === 0 ? '[]' : `[\n${items.map((a) => JSON.stringify(a)).join(',\n')}\n]`);
  for (const k of keyrings) {
    const checked = checkMembers(k);
    if (typeof checked === 'string') throw new Error(`writeKernelAnswers: the members of keyring ${k.serial}${checked}`);
  }
  await writeFile(join(dir, KERNEL_ANSWERS_FILE), `${head.slice(0, -1)},"answers":${list(kept)},"keyrings":${list(keyrings)}}\n`, 'utf8');
}

/** Read DIR/keyring-exporter-answers.json: `{ absent }` when there is none, `{ error }` when it is not valid. */
export async function readKernelAnswers(
  dir: string,
): Promise<{ meta: CaptureMeta; answers: Map<number, KeyAnswer>; keyrings: KeyringMembers[] } | { absent: true } | { error: string }> {
  const path = join(dir, KERNEL_ANSWERS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { absent: true };
    return { error: `${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `${path}: not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const problem = (what: string): { error: string } => ({ error: `${path}: ${what}` });
  if (!isObject(doc)) return problem('expected a JSON object');
  if (doc['format'] !== FORMAT) return problem(`format: expected ${FORMAT}, got ${showValue(doc['format'])}`);
  for (const field of ['host', 'kernelRelease', 'toolVersion'] as const)
    if (typeof doc[field] !== 'string') return problem(`${field}: expected a string, got ${showValue(doc[field])}`);
  const time = doc['time'];
  if (typeof time !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(time) || Number.isNaN(Date.parse(time)))
    return problem(`time: expected an ISO 8601 time, got ${showValue(time)}`);
  const view = doc['view'];
  if (view !== 'self' && view !== 'all-users') return problem(`view: expected "self" or "all-users", got ${showValue(view)}`);
  const list = doc['answers'];
  if (!Array.isArray(list)) return problem(`answers: expected an array, got ${showValue(list)}`);

  const answers = new Map<number, KeyAnswer>();
  for (let i = 0; i < list.length; i++) {
    const checked = checkAnswer(list[i]);
    if (typeof checked === 'string') return problem(`answers[${i}]${checked}`);
    if (answers.has(checked.serial)) return problem(`answers[${i}].serial: ${checked.serial} is answered twice`);
    answers.set(checked.serial, checked);
  }
  // A capture made before keyrings were stored has none: its trust store is then unknown, not empty.
  const lists = doc['keyrings'] ?? [];
  if (!Array.isArray(lists)) return problem(`keyrings: expected an array, got ${showValue(lists)}`);
  const keyrings: KeyringMembers[] = [];
  for (let i = 0; i < lists.length; i++) {
    const checked = checkMembers(lists[i]);
    if (typeof checked === 'string') return problem(`keyrings[${i}]${checked}`);
    keyrings.push(checked);
  }
  const meta: CaptureMeta = { host: doc['host'] as string, kernelRelease: doc['kernelRelease'] as string, time, view, toolVersion: doc['toolVersion'] as string };
  return { meta, answers, keyrings };
}

/**
 * The serial and errno every stored answer starts with: a refusal whole, the object and its serial when the
 * kernel answered (errno null), or what is wrong, as checkAnswer() says it.
 */
function checkHead(v: unknown): KeyRefused | { v: Record<string, unknown>; serial: number } | string {
  if (!isObject(v)) return `: expected an object, got ${showValue(v)}`;
  const serial = v['serial'];
  if (!isIntegerIn(serial, 1, 0x7fffffff)) return `.serial: expected an integer from 1 to 2147483647, got ${showValue(serial)}`;
  const errno = v['errno'];
  if (typeof errno === 'string') return /^E[A-Z0-9]+$/.test(errno) ? { serial, errno } : `.errno: expected an errno name, got ${showValue(errno)}`;
  if (errno !== null) return `.errno: expected null or an errno name, got ${showValue(errno)}`;
  return { v, serial };
}

/** What a keyring linked, rebuilt from `v`'s own fields, or what is wrong with it (as checkAnswer() says it). */
function checkMembers(value: unknown): KeyringMembers | string {
  const head = checkHead(value);
  if (typeof head === 'string' || !('v' in head)) return head;
  const { v, serial } = head;
  const members = v['members'];
  if (!Array.isArray(members)) return `.members: expected an array of serials, got ${showValue(members)}`;
  for (let i = 0; i < members.length; i++)
    if (!isIntegerIn(members[i], 1, 0x7fffffff)) return `.members[${i}]: expected an integer from 1 to 2147483647, got ${showValue(members[i])}`;
  return { serial, errno: null, members: [...(members as number[])] };
}

/**
 * The answer `v` claims to be, rebuilt from its own fields, or what is wrong with it as the end of a message
 * that names `v` (".uid: why", or ": why" for `v` itself). Shared with read-keys-as.ts, which takes answers
 * from a child process running as another uid.
 */
export function checkAnswer(value: unknown): KeyAnswer | string {
  const head = checkHead(value);
  if (typeof head === 'string' || !('v' in head)) return head;
  const { v, serial } = head;
  const { type, uid, gid, perm, description } = v;
  if (typeof type !== 'string' || type === '') return `.type: expected a type name, got ${showValue(type)}`;
  // %d of a uid_t: -1 and the like are printed signed.
  if (!isIntegerIn(uid, -0x80000000, 0xffffffff)) return `.uid: expected an integer, got ${showValue(uid)}`;
  if (!isIntegerIn(gid, -0x80000000, 0xffffffff)) return `.gid: expected an integer, got ${showValue(gid)}`;
  if (!isIntegerIn(perm, 0, 0xffffffff)) return `.perm: expected an integer from 0 to 0xffffffff, got ${showValue(perm)}`;
  if (typeof description !== 'string' || !/^[\x01-\xff]*$/.test(description) || description.length > 4095)
    return `.description: expected up to 4095 bytes (a latin1 string without NUL), got ${showValue(description)}`;
  return { serial, errno: null, type, uid, gid, perm, description };
}
