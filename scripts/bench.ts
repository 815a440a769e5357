/**
 * `npm run bench`, first part: parse + classify of a generated 100,000-line /proc/keys, the lines rendered exactly
 * as security/keys/proc.c prints them (a mix of keyrings, user keys, logon keys, session keyrings and a few
 * expiring keys, with realistic descriptions), read from text alone as a paste or a capture without the kernel's
 * answers is. Prints the median, the best and the 90th percentile of several runs; issue 20's targets are the
 * live exporter's, measured by bench-scrape.ts. Writes bench-results/parse.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildInventory, type Inventory } from '../src/classify/inventory.js';
import { buildSnapshot, type FileRead, type RawProcFiles } from '../src/parser/snapshot.js';
import { KEYS_SYSCTLS, type KeysSysctl } from '../src/parser/keys-sysctl.js';
import { FULL_SPEED, speedReport, timeReference, warmReference } from './machine-speed.js';

const LINES = Number(process.env['BENCH_LINES'] ?? 100_000);
// Spread over about six seconds: the machine's slow phases last one to six (machine-speed.ts), and 31 runs, two
// seconds, could fall mostly inside one.
const RUNS = Number(process.env['BENCH_RUNS'] ?? 101);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 10);

function right(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

export function generateProcKeys(n: number): { keys: string; keyUsers: string } {
  const lines: string[] = [];
  let serial = 0x01000000;
  const perUid = new Map<number, { n: number; q: number; bytes: number }>();
  for (let i = 0; i < n; i++) {
    serial += 1 + ((i * 7919) % 97);
    const uid = i % 10 === 0 ? 0 : 1000 + (i % 50);
    const gid = uid;
    let type = 'user';
    let perm = '3f010000';
    let flags = 'I--Q---';
    let expiry = 'perm';
    let text: string;
    switch (i % 8) {
      case 0:
        type = 'keyring';
        perm = '3f030000';
        text = `_ses: ${i % 5}`;
        break;
      case 1:
        type = 'keyring';
        perm = '3f130000';
        text = `_ses.${(i * 2654435761).toString(16).padStart(8, '0').repeat(8).slice(0, 64)}: empty`;
        break;
      case 2:
        text = `krb_ccache:primary:${i}: ${12 + (i % 100)}`;
        break;
      case 3:
        type = 'logon';
        perm = '3d010000';
        text = `cifs:a:192.0.2.${i % 255}: 33`;
        break;
      case 4:
        expiry = `${1 + (i % 59)}m`;
        text = `krbtgt/EXAMPLE.COM@EXAMPLE.COM ${i}: 1327`;
        break;
      case 5:
        type = 'keyring';
        text = `project-${i}: ${i % 3}`;
        break;
      case 6:
        flags = 'I--Q---';
        perm = '0b0b0000';
        text = `invocation_id: 16`;
        break;
      default:
        text = `name with  spaces ${i}: 5`;
    }
    lines.push(
      `${serial.toString(16).padStart(8, '0')} ${flags} ${right(String(1 + (i % 3)), 5)} ${right(expiry, 4)} ${perm} ${right(String(uid), 5)} ${right(String(gid), 5)} ${type.padEnd(9, ' ')} ${text}`,
    );
    // /proc/key-users as the kernel would count these keys: description + 1 + payload, 4 bytes per link.
    const u = perUid.get(uid) ?? { n: 0, q: 0, bytes: 0 };
    u.n++;
    u.q++;
    const colon = text.lastIndexOf(': ');
    const tail = text.slice(colon + 2);
    u.bytes += colon + 1 + (type === 'keyring' ? 4 * (tail === 'empty' ? 0 : Number(tail)) : Number(tail));
    perUid.set(uid, u);
  }
  const keyUsers = [...perUid.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([uid, u]) => `${right(String(uid), 5)}: ${right(String(u.n + 1), 5)} ${u.n}/${u.n} ${u.q}/1000000 ${u.bytes}/25000000`)
    .join('\n');
  return { keys: lines.join('\n') + '\n', keyUsers: keyUsers + '\n' };
}

function raw(keys: string, keyUsers: string): RawProcFiles {
  const ok = (path: string, text: string): FileRead => ({ path, status: 'ok', text });
  return {
    keys: ok('keys', keys),
    keyUsers: ok('key-users', keyUsers),
    sysctls: Object.fromEntries(KEYS_SYSCTLS.map((s) => [s, ok(s, '200\n')])) as Record<KeysSysctl, FileRead>,
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] as number;
}
const median = (xs: number[]): number => quantile(xs, 0.5);

/** A /proc/keys to parse as the exporter reads it. */
export interface ReadInput {
  raw: RawProcFiles;
}

export function asRead(raw: RawProcFiles): ReadInput {
  return { raw };
}

/** One run as a serving exporter makes it: the read's text parsed and classified (server/scraper.ts). */
export function parseAndClassify(input: ReadInput, now = 0): { parsed: number; copied: number; inventory: Inventory } {
  const t0 = performance.now();
  const snapshot = buildSnapshot(input.raw, now);
  const parsed = performance.now() - t0;
  return { parsed, copied: 0, inventory: buildInventory(snapshot) };
}

/** A turn of the event loop between two reads, as a serving exporter has. */
export async function betweenReads(_bytes: number): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

async function main(): Promise<void> {
  const { keys, keyUsers } = generateProcKeys(LINES);
  const input = asRead(raw(keys, keyUsers));
  const bytes = keys.length;
  // Warm up the JIT the way a long-running exporter is warm after a few scrapes.
  for (let i = 0; i < WARMUP; i++) {
    parseAndClassify(input);
    await betweenReads(bytes);
  }
  const parseMs: number[] = [];
  const copyMs: number[] = [];
  const totalMs: number[] = [];
  // The machine's speed around each run (machine-speed.ts): a run is at full speed when the work before and after it was.
  warmReference();
  const referenceMs: number[] = [timeReference()];
  let keysFound = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const { parsed, copied, inventory } = parseAndClassify(input);
    const t1 = performance.now();
    // What a scrape needs ends here.
    keysFound = inventory.keys.length;
    parseMs.push(parsed);
    copyMs.push(copied);
    // Parse + classify: the copy is the read's (parseAndClassify says why).
    totalMs.push(t1 - t0 - copied);
    referenceMs.push(timeReference());
    await betweenReads(bytes);
  }
  const speed = speedReport(referenceMs);
  const fullSpeedMs = speed.fullSpeedRuns.map((r) => totalMs[r] as number);
  const result = {
    lines: LINES,
    bytes: keys.length,
    runs: RUNS,
    keysParsed: keysFound,
    parseMedianMs: +median(parseMs).toFixed(2),
    copyMedianMs: +median(copyMs).toFixed(2),
    parseAndClassifyMedianMs: +median(totalMs).toFixed(2),
    parseAndClassifyBestMs: +Math.min(...totalMs).toFixed(2),
    parseAndClassifyP90Ms: +quantile(totalMs, 0.9).toFixed(2),
    machineSlowdownMedian: speed.slowdownMedian,
    machineSlowdownP90: speed.slowdownP90,
    fullSpeedRuns: fullSpeedMs.length,
    parseAndClassifyFullSpeedMedianMs: fullSpeedMs.length > 0 ? +median(fullSpeedMs).toFixed(2) : null,
    node: process.version,
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/parse.json', JSON.stringify(result, null, 2) + '\n');
  console.log(`${RUNS} runs after ${WARMUP} warm-up runs`);
  console.log('| what | lines | median | best | 90th percentile |');
  console.log('|---|---|---|---|---|');
  console.log(`| copy of the parts read (reading, not counted below) | ${LINES} | ${result.copyMedianMs} ms | | |`);
  console.log(`| parse, text alone | ${LINES} | ${result.parseMedianMs} ms | | |`);
  console.log(`| parse + classify, text alone | ${LINES} | ${result.parseAndClassifyMedianMs} ms | ${result.parseAndClassifyBestMs} ms | ${result.parseAndClassifyP90Ms} ms |`);
  console.log(
    `machine speed: a fixed piece of work took ${result.machineSlowdownMedian}x its best time at the median run, ${result.machineSlowdownP90}x at the 90th percentile (1.00 on a quiet machine); ` +
      `parse + classify in the ${result.fullSpeedRuns} runs made at full speed (within ${FULL_SPEED}x): median ${result.parseAndClassifyFullSpeedMedianMs ?? '-'} ms`,
  );
  if (keysFound !== LINES) {
    console.error(`expected ${LINES} keys, parsed ${keysFound}`);
    process.exitCode = 1;
  }
}

// Run when executed (npm run bench), not when imported for its generator.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
