/**
 * Live attacks on this machine's kernel: unprivileged uids (setpriv) that write hostile key descriptions, the
 * kernel's own answer for every key (keyctl rdescribe) to judge the exporter's outputs by, and the exporter run
 * as root (run-bin.ts). Used by test/attacks/.
 *
 * An attacker is one process chain, setpriv -> keyctl session (exec) -> bash, holding a fresh session keyring
 * with its keys linked in it (never @u: those outlive the session). It makes its keys, prints "key I SERIAL" for
 * each, then "ready", and waits on its stdin; stop() closes stdin, the attacker clears its session keyring and
 * exits (or is killed by its pid after 3 s), which drops every key it made.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { renderKeyLine } from './render-key-line.js';
import { BIN, sh } from './run-bin.js';

// ---------------------------------------------------------------------------------------------------------------
// Attackers

export interface KeySpec {
  /**
   * The description, byte for byte (latin1: one char a byte). At most 4095 bytes; no NUL. Distinct within one
   * attacker: add_key with the type and description of a key already linked updates that key.
   */
  desc: string;
  /** Key type: 'user' (default), 'logon' or 'keyring' (keyctl newring). */
  type?: 'user' | 'logon' | 'keyring';
  /** Payload of a user or logon key (default "x": the kernel prints the summary ": 1"). */
  payload?: string;
  /** Permission mask given with keyctl setperm once the key is made (default 0x3f010001: other may view). */
  perm?: number;
  /**
   * Make the key again (unlinking each miss) until its serial lies strictly between lo and hi and none of this
   * attacker's earlier keys lies between it and hi: how a careful forger puts its forged line (serial hi or
   * just below) right after the carrier, in ascending order, with no other line between. After `tries`
   * (startAttacker's option, 400) the last one is kept where it landed.
   */
  fit?: { lo: number; hi: number };
  /** Make the key this many times and keep the one with the lowest serial (the others are dropped). */
  lowestOf?: number;
  /**
   * Kill the key once made and its perm set: 'revoked' (keyctl revoke) or 'expired' (keyctl timeout 1, and the
   * attacker is ready only once it has expired). A dead key stays listed in /proc/keys (gc_delay, 5 min by
   * default, while linked) but KEYCTL_DESCRIBE refuses it (EKEYREVOKED, EKEYEXPIRED).
   */
  dead?: 'revoked' | 'expired';
  /**
   * Once every key is made, flip this key's perm back and forth between `perm` and this one, as fast as keyctl
   * goes, until the attacker stops (a loop in the attacker's session that ends when the attacker does).
   */
  flapPerm?: number;
}

export interface Attacker {
  uid: number;
  pid: number;
  /** The serial of each key of the spec, in order, as /proc/keys prints it (8 hex digits). */
  serials: string[];
  /**
   * How many candidates were made for each key (fit, lowestOf); 0 when a fit was given up after the tries (the
   * key is kept where it landed: the attack is weaker, every assertion still holds).
   */
  tries: number[];
  stop(): Promise<void>;
}

/** Bash in a template literal: `@{` stands for bash's `${` (which would be a JS interpolation). */
const bashScript = (s: string): string => s.replaceAll('@{', '${');

const ATTACKER_SCRIPT = bashScript(String.raw`
set -u
own=()
make_one() { # $1: index, $2: keyring to link it in (default @s); sets K
  local n t x d to="@{2:-@s}"
  n="KRE_D_$1"; printf -v d '%b' "@{!n}"
  t="KRE_T_$1"; t="@{!t}"; x="KRE_X_$1"; printf -v x '%b' "@{!x}"
  # A miss unlinked just before gives its quota back only once the garbage collector has destroyed it: retry
  # for up to 2 s (EDQUOT meanwhile).
  local try
  for ((try = 0; try < 40; try++)); do
    if [ "$t" = keyring ]; then K=$(keyctl newring "$d" "$to" 2>/dev/null); else K=$(keyctl add "$t" "$d" "$x" "$to" 2>/dev/null); fi && return 0
    sleep 0.05
  done
  if [ "$t" = keyring ]; then K=$(keyctl newring "$d" "$to"); else K=$(keyctl add "$t" "$d" "$x" "$to"); fi
}
fits() { # serial lo hi
  [ "$1" -gt "$2" ] && [ "$1" -lt "$3" ] || return 1
  local o; for o in "@{own[@]}"; do if [ "$o" -gt "$1" ] && [ "$o" -le "$3" ]; then return 1; fi; done
  return 0
}
i=0
while [ "$i" -lt "$KRE_N" ]; do
  lo="KRE_LO_$i"; lo="@{!lo:-}"; hi="KRE_HI_$i"; hi="@{!hi:-}"; best="KRE_LOWEST_$i"; best="@{!best:-}"
  tries=1
  if [ -n "$lo" ]; then
    while :; do
      make_one "$i" || { echo "failed to make key $i" >&2; exit 1; }
      fits "$K" "$lo" "$hi" && break
      # Out of tries (/proc/keys crowded by other attacks running at once): keep this one, unfitted (tries 0).
      if [ "$tries" -ge "$KRE_TRIES" ]; then echo "key $i never fitted between $lo and $hi in $KRE_TRIES tries" >&2; tries=0; break; fi
      keyctl unlink "$K" @s >/dev/null
      tries=$((tries + 1))
    done
  elif [ -n "$best" ]; then
    # add_key with the description of a key already in the keyring updates that key: each candidate gets a
    # keyring of its own to be made in, the one kept is linked in @s, the holders (and the rest) are dropped.
    holders=(); keep=
    for ((j = 0; j < best; j++)); do
      h=$(keyctl newring "kre-hold-$j" @s) || exit 1; holders+=("$h")
      make_one "$i" "$h" || exit 1
      if [ -z "$keep" ] || [ "$K" -lt "$keep" ]; then keep=$K; fi
    done
    keyctl link "$keep" @s || exit 1
    for h in "@{holders[@]}"; do keyctl unlink "$h" @s >/dev/null; done
    K=$keep; tries=$best
  else
    make_one "$i" || { echo "failed to make key $i" >&2; exit 1; }
  fi
  p="KRE_P_$i"; keyctl setperm "$K" "@{!p}" || exit 1
  dead="KRE_DEAD_$i"; dead="@{!dead:-}"
  if [ "$dead" = revoked ]; then keyctl revoke "$K" || exit 1; fi
  if [ "$dead" = expired ]; then keyctl timeout "$K" 1 || exit 1; expiring=1; fi
  own+=("$K")
  printf 'key %d %08x %d\n' "$i" "$K" "$tries"
  i=$((i + 1))
done
[ -z "@{expiring:-}" ] || sleep 1.2
flappers=()
for ((i = 0; i < KRE_N; i++)); do
  f="KRE_FLAP_$i"; f="@{!f:-}"; [ -n "$f" ] || continue
  p="KRE_P_$i"; p="@{!p}"; k=@{own[$i]}; parent=$$
  ( while kill -0 "$parent" 2>/dev/null; do keyctl setperm "$k" "$f" 2>/dev/null; keyctl setperm "$k" "$p" 2>/dev/null; done ) &
  flappers+=($!)
done
echo ready
read -r _ || true
[ @{#flappers[@]} -eq 0 ] || { kill "@{flappers[@]}" 2>/dev/null; wait "@{flappers[@]}" 2>/dev/null; }
keyctl clear @s >/dev/null 2>&1
echo cleared
`);

/** Bytes as an argument for bash's printf %b: \xHH for every byte but letters, digits and a few safe ones. */
function bashEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new Error(`description char ${c} is not a byte (use latin1 strings)`);
    if (c === 0) throw new Error('a description cannot hold NUL');
    out += /[A-Za-z0-9 .,:_=+-]/.test(s[i] as string) ? s[i] : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

const live = new Set<ChildProcessWithoutNullStreams>();

/**
 * Start an attacker as `uid` making `keys`; resolves once every key exists with its final perm. Keys of the uid
 * left by an attacker that just ended are waited for first (their quota comes back when they are destroyed).
 */
export async function startAttacker(uid: number, keys: KeySpec[], opts: { tries?: number } = {}): Promise<Attacker> {
  await keysGone(uid);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    KRE_N: String(keys.length),
    KRE_TRIES: String(opts.tries ?? 400),
  };
  keys.forEach((k, i) => {
    if (k.desc.length > 4095) throw new Error(`key ${i}: description of ${k.desc.length} bytes (the kernel takes 4095)`);
    env[`KRE_D_${i}`] = bashEscape(k.desc);
    env[`KRE_T_${i}`] = k.type ?? 'user';
    env[`KRE_X_${i}`] = bashEscape(k.payload ?? 'x');
    env[`KRE_P_${i}`] = `0x${(k.perm ?? 0x3f010001).toString(16).padStart(8, '0')}`;
    if (k.fit) {
      env[`KRE_LO_${i}`] = String(k.fit.lo);
      env[`KRE_HI_${i}`] = String(k.fit.hi);
    }
    if (k.lowestOf !== undefined) env[`KRE_LOWEST_${i}`] = String(k.lowestOf);
    if (k.dead !== undefined) env[`KRE_DEAD_${i}`] = k.dead;
    if (k.flapPerm !== undefined) env[`KRE_FLAP_${i}`] = `0x${k.flapPerm.toString(16).padStart(8, '0')}`;
  });
  const child = spawn(
    'setpriv',
    [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'keyctl', 'session', '-', 'bash', '-c', ATTACKER_SCRIPT],
    { cwd: '/', env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const serials: string[] = [];
  const tries: number[] = [];
  let out = '';
  let err = '';
  child.stderr.setEncoding('latin1').on('data', (d: string) => (err += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, 3000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    await keysGone(uid);
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      void stop().then(() => reject(new Error(`attacker uid ${uid}: ${why}\nstdout: ${out}\nstderr: ${err}`)));
    };
    const timer = setTimeout(() => fail('not ready after 20 s'), 20_000);
    child.once('error', (e) => fail(String(e)));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (!out.includes('ready\n')) fail(`exited (code ${code}, signal ${signal}) before ready`);
    });
    child.stdout.setEncoding('latin1').on('data', (d: string) => {
      out += d;
      for (const m of d.matchAll(/^key (\d+) ([0-9a-f]{8}) (\d+)$/gm)) {
        serials[Number(m[1])] = m[2] as string;
        tries[Number(m[1])] = Number(m[3]);
      }
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve({ uid, pid: child.pid as number, serials, tries, stop });
      }
    });
  });
}

/** Whether /proc/key-users lists `uid` (it does while any key of the uid exists, in any state). */
export function ownsKeys(uid: number): boolean {
  return new RegExp(`^\\s*${uid}:`, 'm').test(readFileSync('/proc/key-users', 'latin1'));
}

/**
 * Wait (up to 5 s) until no key of `uid` is left: the garbage collector destroys the keys of a dropped session
 * keyring, and gives back their quota, a little after the attacker exits.
 */
async function keysGone(uid: number): Promise<void> {
  for (const deadline = Date.now() + 5000; ownsKeys(uid) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
}

/** Stop every attacker still running (an afterEach safety net: tests stop theirs in finally). */
export async function stopAllAttackers(): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      child.stdin.end();
      const t = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000);
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('close', r));
      clearTimeout(t);
      live.delete(child);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The kernel's truth

export interface KernelKey {
  serial: string;
  type: string;
  uid: number;
  gid: number;
  /** 8 hex digits, as /proc/keys prints it. */
  perm: string;
  description: Buffer;
}

export type Described = { ok: true; key: KernelKey } | { ok: false; error: 'noent' | 'denied' | 'revoked' | 'expired' | string };

const DESCRIBE_SCRIPT = bashScript(String.raw`
# One keyctl per serial and no other process: 8 workers, each writing "SERIAL ok|err LENGTH\n" and LENGTH bytes
# (the rdescribe output or its error) per serial to its own file. LC_ALL=C: lengths in bytes.
export LC_ALL=C
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
w=0
for s in "$@"; do printf '%s\n' "$s" >>"$d/in.$((w % 8))"; w=$((w + 1)); done
for f in "$d"/in.*; do
  [ -e "$f" ] || continue
  (
    while read -r s; do
      if keyctl rdescribe "0x$s" >"$f.t" 2>"$f.e"; then r=ok; x="$f.t"; else r=err; x="$f.e"; fi
      IFS= read -r -d '' data <"$x"
      printf '%s %s %d\n%s' "$s" "$r" "@{#data}" "$data"
    done <"$f" >"$f.out"
  ) &
done
wait
cat "$d"/*.out 2>/dev/null
`);

/** KEYCTL_DESCRIBE of each serial, as root or as `asUid` (setpriv): the kernel's word on type, uid, gid, perm, description. */
export function describe(serials: readonly string[], asUid?: number): Map<string, Described> {
  const result = new Map<string, Described>();
  if (serials.length === 0) return result;
  const prefix = asUid === undefined ? [] : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups'];
  const cmd = [...prefix, 'bash', '-c', DESCRIBE_SCRIPT, 'describe', ...serials];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'latin1', cwd: '/', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`keyctl rdescribe failed: ${r.stderr}`);
  const out = Buffer.from(r.stdout, 'latin1');
  for (let at = 0; at < out.length; ) {
    const eol = out.indexOf(0x0a, at);
    const m = /^([0-9a-f]{8}) (ok|err) (\d+)$/.exec(out.subarray(at, eol).toString('latin1'));
    if (eol < 0 || !m) throw new Error(`keyctl rdescribe: unexpected output at byte ${at}: ${show(out.subarray(at, at + 80))}`);
    const serial = m[1] as string;
    let raw = out.subarray(eol + 1, eol + 1 + Number(m[3]));
    at = eol + 1 + Number(m[3]);
    if (m[2] === 'err') {
      const msg = raw.toString('latin1');
      const error = /not available/.test(msg)
        ? 'noent'
        : /Permission denied/.test(msg)
          ? 'denied'
          : /revoked/.test(msg)
            ? 'revoked'
            : /expired/.test(msg)
              ? 'expired'
              : msg.trim();
      result.set(serial, { ok: false, error });
      continue;
    }
    if (raw[raw.length - 1] === 0x0a) raw = raw.subarray(0, raw.length - 1);
    const fields: Buffer[] = [];
    let from = 0;
    for (let f = 0; f < 4; f++) {
      const semi = raw.indexOf(0x3b, from);
      fields.push(raw.subarray(from, semi));
      from = semi + 1;
    }
    const [type, uid, gid, perm] = fields.map((b) => b.toString('latin1'));
    result.set(serial, {
      ok: true,
      key: { serial, type: type as string, uid: Number(uid), gid: Number(gid), perm: (perm as string).padStart(8, '0'), description: raw.subarray(from) },
    });
  }
  return result;
}

/** The kernel's key, or a thrown error saying why there is none. */
export function kernelKey(serial: string, asUid?: number): KernelKey {
  const d = describe([serial], asUid).get(serial);
  if (!d?.ok) throw new Error(`keyctl rdescribe 0x${serial}${asUid === undefined ? '' : ` as uid ${asUid}`}: ${d ? d.error : 'no answer'}`);
  return d.key;
}

/** The raw /proc/keys as this (root) process reads it. */
export function procKeysBytes(): Buffer {
  return readFileSync('/proc/keys');
}

/** Serials at the start of a line of root's /proc/keys: real records and forged lines alike. */
export function lineSerials(bytes: Buffer = procKeysBytes()): string[] {
  return [...bytes.toString('latin1').matchAll(/^([0-9a-f]{8}) /gm)].map((m) => m[1] as string);
}

/**
 * The keys the kernel describes alike before and after a run of the exporter (so they existed, unchanged,
 * while it read): serials from root's /proc/keys plus `extra`, each described by KEYCTL_DESCRIBE.
 */
export class KernelView {
  readonly before: Map<string, Described>;
  /** `known`: serials already described as having no key (e.g. forged ones), not asked again. */
  constructor(
    private readonly extra: readonly string[] = [],
    known: ReadonlySet<string> = new Set(),
  ) {
    this.before = describe([...new Set([...lineSerials(), ...this.extra])].filter((s) => !known.has(s)));
  }
  /** Call after the exporter ran: the keys described identically before and after. */
  stable(): Map<string, KernelKey> {
    const serials = [...this.before.entries()].filter(([, d]) => d.ok).map(([s]) => s);
    const after = describe(serials);
    const out = new Map<string, KernelKey>();
    for (const s of serials) {
      const a = this.before.get(s);
      const b = after.get(s);
      if (a?.ok && b?.ok && sameKernelKey(a.key, b.key)) out.set(s, a.key);
    }
    return out;
  }
}

function sameKernelKey(a: KernelKey, b: KernelKey): boolean {
  return a.type === b.type && a.uid === b.uid && a.gid === b.gid && a.perm === b.perm && a.description.equals(b.description);
}

/** `count` serials no key has (KEYCTL_DESCRIBE says ENOKEY), ascending, the highest at or below `start`. */
export function unusedSerials(start: number, count: number): string[] {
  const out: string[] = [];
  for (let at = start; out.length < count && at > 2; at -= count + 16) {
    const candidates = Array.from({ length: count + 16 }, (_, i) => at - i).filter((s) => s > 2).map(hex8);
    const told = describe(candidates);
    for (const s of candidates) {
      const d = told.get(s);
      if (out.length < count && d && !d.ok && d.error === 'noent') out.push(s);
    }
  }
  if (out.length < count) throw new Error(`no ${count} unused serials below ${hex8(start)}`);
  return out.sort();
}

/** A serial no key has, at or below `start`. */
export const unusedSerial = (start: number): string => unusedSerials(start, 1)[0] as string;

let ceiling: number | undefined;

/**
 * One above the highest serial the kernel hands out here. key_alloc_serial() long drew 31 random bits; newer
 * kernels (6.18 among them) give no serial of 2^30 or more. Judged from the real keys root can
 * see (KEYCTL_DESCRIBE confirms them) and 8 keys made for the purpose in a throwaway session: 2^30 when all are
 * below it, else 2^31 - 1. A wrong guess only makes fits slower.
 */
export function serialCeiling(): number {
  if (ceiling === undefined) {
    const real = [...describe(lineSerials()).values()].flatMap((d) => (d.ok ? [parseInt(d.key.serial, 16)] : []));
    const probe = spawnSync('keyctl', ['session', '-', 'bash', '-c', 'for i in 1 2 3 4 5 6 7 8; do keyctl add user kre-serial-probe-$i x @s; done'], {
      encoding: 'latin1',
      cwd: '/',
    });
    const made = probe.stdout.split('\n').flatMap((l) => (/^\d+$/.test(l) ? [Number(l)] : []));
    const all = [...real, ...made];
    ceiling = made.length === 8 && all.every((s) => s < 0x40000000) ? 0x40000000 : 0x7fffffff;
  }
  return ceiling;
}

/**
 * The widest gap between consecutive serials of lines in root's /proc/keys, bounded by 2 and serialCeiling(): a
 * carrier made inside (lo, hi) with its forged serials just below hi is followed by them with nothing between.
 */
export function widestGap(serials: readonly string[] = lineSerials()): { lo: number; hi: number } {
  return widestGaps(1, serials)[0] as { lo: number; hi: number };
}

/** The `n` widest gaps (see widestGap), widest first. */
export function widestGaps(n: number, serials: readonly string[] = lineSerials()): { lo: number; hi: number }[] {
  const top = serialCeiling();
  const sorted = [...new Set(serials.map((s) => parseInt(s, 16)))].filter((s) => s < top).sort((a, b) => a - b);
  const points = [2, ...sorted, top];
  const gaps: { lo: number; hi: number }[] = [];
  for (let i = 1; i < points.length; i++) gaps.push({ lo: points[i - 1] as number, hi: points[i] as number });
  return gaps.sort((a, b) => b.hi - b.lo - (a.hi - a.lo)).slice(0, n);
}

/**
 * `count` unused serials for forged records, ascending, near the top of a gap of root's /proc/keys (the widest,
 * or the one given) at a random depth, so attacks running at once pick different ones; and the gap's lower
 * bound: a carrier fitted in (lo, first serial) is followed by its forged records with no other line between.
 */
export function forgedSerials(count: number, gap: { lo: number; hi: number } = widestGap()): { lo: number; serials: string[] } {
  const depth = 1 + Math.floor(Math.random() * Math.max(1, Math.min(0xfffff, Math.floor((gap.hi - gap.lo) / 8))));
  return { lo: gap.lo, serials: unusedSerials(gap.hi - depth, count) };
}

export const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** A /proc/keys record line as the kernel prints it (no newline), with a serial as 8 hex digits. */
export function recordLine(f: {
  serial: string;
  flags?: string;
  usage?: number;
  expiry?: string;
  perm?: string;
  uid: number;
  gid: number;
  type?: string;
  text: string;
}): string {
  return renderKeyLine({ ...f, serial: parseInt(f.serial, 16) });
}

// ---------------------------------------------------------------------------------------------------------------
// The exporter's outputs

export interface Run {
  status: number | null;
  /** stdout as bytes. */
  bytes: Buffer;
  /** stdout decoded as UTF-8. */
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run `$BIN ARGS` (args are shell words) as root. */
export function run(args: string): Run {
  const t0 = Date.now();
  const r = sh(`exec "$BIN" ${args}`);
  const bytes = Buffer.from(r.stdout ?? '', 'latin1');
  return { status: r.status, bytes, stdout: bytes.toString('utf8'), stderr: r.stderr ?? '', ms: Date.now() - t0 };
}

export interface JsonKey {
  serial: string;
  uid: number;
  gid: number;
  description: string;
  descriptionBase64?: string;
  type: string | { name: string };
  perm: string | { hex: string };
  [k: string]: unknown;
}

export interface Finding {
  check: string;
  severity: string;
  uid?: number;
  serial?: string;
  message: string;
  [k: string]: unknown;
}

export interface Doc {
  keys: JsonKey[];
  audit?: { findings: Finding[] };
  [k: string]: unknown;
}

/** Run a JSON command and parse it; throws with stderr when it does not exit with one of `ok`. */
export function runJson(args: string, ok: number[] = [0]): { doc: Doc; run: Run } {
  const r = run(args);
  if (!ok.includes(r.status ?? -1)) throw new Error(`${args}: exit ${r.status}\n${r.stderr}`);
  return { doc: JSON.parse(r.stdout) as Doc, run: r };
}

export const keysJson = (extra = ''): Doc => runJson(`keys --format json ${extra}`).doc;
export const auditJson = (extra = ''): Doc => runJson(`audit --format json --fail-on never ${extra}`).doc;
export const findingsOf = (doc: Doc): Finding[] => doc.audit?.findings ?? [];

export const typeName = (k: JsonKey): string => (typeof k.type === 'string' ? k.type : k.type?.name);
export const permHex = (k: JsonKey): string => (typeof k.perm === 'string' ? k.perm : k.perm?.hex);
export const descriptionBytes = (k: JsonKey): Buffer =>
  typeof k.descriptionBase64 === 'string' ? Buffer.from(k.descriptionBase64, 'base64') : Buffer.from(k.description, 'utf8');

/** Readable bytes for assertion messages. */
export const show = (b: Buffer | string): string =>
  JSON.stringify(typeof b === 'string' ? b : b.toString('latin1')).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');

/** What the exporter says of a key, in the kernel's terms (for toEqual against kernelFields()). */
export function jsonFields(k: JsonKey): { type: string; uid: number; gid: number; perm: string; description: string } {
  return { type: typeName(k), uid: k.uid, gid: k.gid, perm: permHex(k), description: show(descriptionBytes(k)) };
}

export function kernelFields(k: KernelKey): { type: string; uid: number; gid: number; perm: string; description: string } {
  return { type: k.type, uid: k.uid, gid: k.gid, perm: k.perm, description: show(k.description) };
}

/**
 * The property every attack must leave true: each key of the exporter's JSON that the kernel describes
 * (identically before and after the run) has the kernel's type, uid, gid, perm and description. Returns the
 * disagreements, one line each (empty when none).
 */
export function disagreements(doc: Doc, stable: Map<string, KernelKey>): string[] {
  const out: string[] = [];
  for (const k of doc.keys) {
    const kk = stable.get(k.serial);
    if (!kk) continue;
    const mine = jsonFields(k);
    const theirs = kernelFields(kk);
    for (const f of ['type', 'uid', 'gid', 'perm', 'description'] as const)
      if (mine[f] !== theirs[f]) out.push(`${k.serial} (uid ${kk.uid}) ${f}: exporter ${String(mine[f])}, kernel ${String(theirs[f])}`);
  }
  return out;
}

/** Serials of `stable` (kernel keys that existed throughout the run) owned by `uids` and absent from the JSON. */
export function missing(doc: Doc, stable: Map<string, KernelKey>, uids: readonly number[]): string[] {
  const listed = new Set(doc.keys.map((k) => k.serial));
  return [...stable.values()].filter((k) => uids.includes(k.uid) && !listed.has(k.serial)).map((k) => `${k.serial} (uid ${k.uid})`);
}

/** The uids of the forged_proc_keys_line findings on `carrier`: who the audit says forged records in it. */
export function forgedLineUids(audit: Doc, carrier: string): (number | undefined)[] {
  return findingsOf(audit)
    .filter((f) => f.check === 'forged_proc_keys_line' && f.serial === carrier)
    .map((f) => f.uid);
}

/**
 * What every attack checks last: no real key of `uids` missing from the JSON, and every key in it as the kernel
 * describes it (soft expectations, so that one run reports every broken promise).
 */
export function expectKernelView(keys: Doc, stable: Map<string, KernelKey>, uids: readonly number[], label = 'keys JSON'): void {
  expect.soft(missing(keys, stable, uids), `real keys missing from ${label}`).toEqual([]);
  expect.soft(disagreements(keys, stable), `${label} against keyctl rdescribe`).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------
// serve

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Run `serve` on 127.0.0.1 (a free port), call fn with its base URL once /-/ready answers, then end it by its
 * pid (SIGTERM, SIGKILL after 3 s).
 */
export async function withServer<T>(fn: (base: string) => Promise<T>, extraArgs: string[] = []): Promise<T> {
  const port = await freePort();
  const child = spawn(BIN, ['serve', '--web.listen-address', `127.0.0.1:${port}`, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (log += d.toString('latin1')));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${log}`);
      try {
        const r = await fetch(`${base}/-/ready`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`serve not ready after 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(base);
  } finally {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => child.exitCode === null && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 3000);
      await closed;
      clearTimeout(t);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus text

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/** Samples of a Prometheus text exposition (label values unescaped). */
export function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m) {
      out.push({ name: '<unparsable>', labels: { line }, value: '' });
      continue;
    }
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1] as string, labels, value: m[4] as string });
  }
  return out;
}
