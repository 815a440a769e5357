/**
 * How fast the machine is running right now, for reading a benchmark on a shared virtual machine.
 *
 * On the project's reference machine (2 vCPUs of a shared host) the same CPU-bound work takes anywhere from its
 * best time to twice that, in phases of seconds, while the guest's steal counter stays near zero: a neighbour's
 * load slows the vCPU without descheduling it. A median taken across such phases measures the host as much as
 * the code. So each run of a benchmark is preceded by a fixed piece of work, timed: the benchmark reports how
 * much slower than its best that work ran (1.00 on a quiet machine), and, beside the plain median that its
 * target is checked on, the median of the runs made while the machine ran at full speed.
 */

// Larger than the caches a vCPU has to itself (2 MB of L2 here): like the parser, the work streams bytes through
// the shared L3, and a neighbour's load shows in it. A loop over a few cache-resident kilobytes did not slow down
// while the parser ran at half speed.
const WORK = new Uint8Array(8 << 20);
for (let i = 0; i < WORK.length; i++) WORK[i] = (i * 2654435761) >>> 24;

/** A fixed, allocation-free piece of work reading 8 MB byte by byte, as a scan of /proc/keys does: a few ms. */
function referenceWork(): number {
  let s = 0;
  for (let i = 0; i < WORK.length; i++) {
    const c = WORK[i] as number;
    s = c === 0x0a ? 0 : (s * 31 + c) | 0;
  }
  return s;
}

let sink = 0;

/** Milliseconds the reference work takes now. */
export function timeReference(): number {
  const t0 = performance.now();
  sink += referenceWork();
  return performance.now() - t0;
}

/** Compile the reference work before anything is measured. */
export function warmReference(): void {
  for (let i = 0; i < 20; i++) timeReference();
  if (sink === -1) console.log(sink);
}

/** Runs whose reference time was within this factor of the fastest count as made at full speed. */
export const FULL_SPEED = 1.05;

export interface SpeedReport {
  /** Median reference time over its best: 1.00 when the machine ran at one speed throughout. */
  slowdownMedian: number;
  /** The same at the 90th percentile. */
  slowdownP90: number;
  /** Indexes of the runs made at full speed. */
  fullSpeedRuns: number[];
}

/**
 * `bracketing`: the reference time before the first run, then after each run (runs + 1 times). A run counts at
 * the slower of the times before and after it: it was made at full speed only if the machine was both times.
 */
export function speedReport(bracketing: number[]): SpeedReport {
  const referenceMs = bracketing.slice(1).map((after, r) => Math.max(after, bracketing[r] as number));
  const best = Math.min(...referenceMs);
  const sorted = [...referenceMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
  return {
    slowdownMedian: +(at(0.5) / best).toFixed(2),
    slowdownP90: +(at(0.9) / best).toFixed(2),
    fullSpeedRuns: referenceMs.flatMap((ms, i) => (ms <= best * FULL_SPEED ? [i] : [])),
  };
}
