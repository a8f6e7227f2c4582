/**
 * Order statistics for the report. Whole tensors (exact mode) go to the engine's radix select. The
 * small samples of sampled mode (thousands of elements, about a thousand selections per report) use
 * a one-pass bucket select here instead: the engine's selector zeroes about 1 MiB of histograms per
 * call, which alone would use up the sampled mode's latency budget.
 *
 * Bucket select: order-preserving integer keys of the float32 bits; one pass counts the top 11 key
 * bits into a reusable 2048-entry histogram, a second collects the keys of the buckets holding the
 * requested ranks (plus the nearest non-empty bucket on each side, so the neighbouring values are
 * known too), and a native sort of those few keys finishes.
 */
import { selectOrderStatistics } from "../engine/kernels/order-statistics.js";

export type SelectMode = "magnitude" | "signed";

/** Above this many elements the engine's radix select is the faster one. */
const RADIX_FROM = 1 << 17;
const BITS = 11;
const BUCKETS = 1 << BITS;

const histogram = new Uint32Array(BUCKETS);
let keys = new Uint32Array(1024);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function keyOf(x: number, signed: boolean): number {
  f32[0] = x;
  const b = u32[0]!;
  if (!signed) return (b & 0x7fffffff) >>> 0;
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

function valueOf(key: number, signed: boolean): number {
  u32[0] = !signed ? key : (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  return f32[0]!;
}

/** A stretch of the sorted values around some ranks, with the ranks it starts at. */
export interface SortedWindow {
  /** Ascending values (|x| for "magnitude") of ranks first .. first + values.length − 1. */
  values: Float64Array;
  first: number;
}

/**
 * The sorted values from just below the lowest requested rank to just above the highest: every
 * value in the buckets of those ranks, and the nearest non-empty bucket on each side.
 */
export function sortedWindow(data: Float32Array, lowRank: number, highRank: number, mode: SelectMode): SortedWindow {
  const n = data.length;
  if (!(lowRank >= 0 && highRank < n && lowRank <= highRank)) throw new RangeError(`ranks ${lowRank}..${highRank} outside 0..${n - 1}`);
  const signed = mode === "signed";
  const shift = signed ? 32 - BITS : 31 - BITS;
  histogram.fill(0);
  for (let e = 0; e < n; e++) histogram[keyOf(data[e]!, signed) >>> shift]!++;
  let cum = 0;
  let bucket = 0;
  while (cum + histogram[bucket]! <= lowRank) cum += histogram[bucket++]!;
  let from = bucket;
  let first = cum;
  // One non-empty bucket lower, so the value just below the window is known.
  for (let b = from - 1; b >= 0; b--) {
    if (histogram[b]! > 0) {
      from = b;
      first -= histogram[b]!;
      break;
    }
  }
  let to = bucket;
  let end = cum + histogram[bucket]!;
  while (end <= highRank) end += histogram[++to]!;
  for (let b = to + 1; b < BUCKETS; b++) {
    if (histogram[b]! > 0) {
      to = b;
      end += histogram[b]!;
      break;
    }
  }
  const count = end - first;
  if (keys.length < count) keys = new Uint32Array(Math.max(count, 2 * keys.length));
  let at = 0;
  for (let e = 0; e < n; e++) {
    const k = keyOf(data[e]!, signed);
    const b = k >>> shift;
    if (b >= from && b <= to) keys[at++] = k;
  }
  const window = keys.subarray(0, count).sort();
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = valueOf(window[i]!, signed);
  return { values, first };
}

/** Values at the given ascending 0-based ranks (of |x| for "magnitude"), in the order asked. */
export function orderStatistics(values: Float32Array, ranks: readonly number[], mode: SelectMode): number[] {
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= values.length) throw new RangeError(`rank ${r} is outside 0..${values.length - 1}`);
  }
  if (ranks.length === 0) return [];
  if (values.length >= RADIX_FROM) return selectOrderStatistics(values, ranks, mode);
  const w = sortedWindow(values, Math.min(...ranks), Math.max(...ranks), mode);
  return ranks.map((r) => w.values[r - w.first]!);
}

/** The k-th largest |x| (k ≥ 1). */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  return orderStatistics(values, [values.length - k], "magnitude")[0]!;
}
