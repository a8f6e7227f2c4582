/**
 * Order statistics for the report. Whole tensors (exact mode) go to the engine's radix select; the
 * small samples of sampled mode (thousands of elements, about a thousand selections per report) use
 * a quickselect on a copy instead, because each radix selection zeroes about 1 MiB of histograms,
 * which alone would use up the sampled mode's latency budget.
 */
import { selectOrderStatistics } from "../engine/kernels/order-statistics.js";

export type SelectMode = "magnitude" | "signed";

/** Above this many elements the engine's radix select is faster than a quickselect on a copy. */
const RADIX_FROM = 1 << 17;

/** Values at the given ascending 0-based ranks (of |x| for "magnitude"), in the order asked. */
export function orderStatistics(values: Float32Array, ranks: readonly number[], mode: SelectMode): number[] {
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= values.length) throw new RangeError(`rank ${r} is outside 0..${values.length - 1}`);
  }
  if (ranks.length === 0) return [];
  if (values.length >= RADIX_FROM) return selectOrderStatistics(values, ranks, mode);
  const work = copyInto(values, mode === "magnitude");
  const order = ranks.map((r, i) => [r, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(ranks.length);
  let lo = 0;
  for (const [r, i] of order) {
    // After selecting r, everything left of it is ≤ and right of it ≥: the next rank searches right.
    quickselect(work, r, lo, work.length - 1);
    out[i] = work[r]!;
    lo = r;
  }
  return out;
}

/** The k-th largest |x| (k ≥ 1). */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  return orderStatistics(values, [values.length - k], "magnitude")[0]!;
}

/** One scratch copy reused by every selection (they never nest), so samples allocate nothing. */
let scratch = new Float32Array(0);

function copyInto(values: Float32Array, magnitude: boolean): Float32Array {
  if (scratch.length < values.length) scratch = new Float32Array(Math.max(values.length, 2 * scratch.length));
  const out = scratch.subarray(0, values.length);
  if (magnitude) for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]!);
  else out.set(values);
  return out;
}

/**
 * Moves the k-th smallest of a[lo..hi] to a[k], smaller-or-equal values left of it. Hoare
 * partitioning around a median of three stops on equal keys, so runs of ties (zero deltas, bf16)
 * still split evenly; after too many rounds the range is sorted instead (no quadratic case).
 */
function quickselect(a: Float32Array, k: number, lo: number, hi: number): void {
  let rounds = 0;
  while (hi > lo) {
    if (hi - lo < 16 || ++rounds > 64) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three into a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and a[j+1..i-1] == pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
