/**
 * Order statistics for the report. Whole tensors (exact mode) go to the engine's radix select. The
 * small samples of sampled mode (thousands of elements, about a thousand selections per report) use
 * a narrowing bucket select here instead: the engine's selector zeroes about 1 MiB of histograms per
 * call, which alone would use up the sampled mode's latency budget.
 *
 * Bucket select: order-preserving integer keys of the float32 bits are counted into a reusable
 * 2048-entry histogram; only the keys in the buckets holding the requested ranks are kept, and the
 * key range narrows by 2¹¹ per pass until a few hundred keys are left to sort.
 */
import { selectOrderStatistics } from "../engine/kernels/order-statistics.js";

export type SelectMode = "magnitude" | "signed";

/** From this many elements on, the engine's radix select is the faster one. */
const RADIX_FROM = 1 << 17;
const BITS = 11;
const BUCKETS = 1 << BITS;
const SORT_BELOW = 256;

const histogram = new Uint32Array(BUCKETS);
let scratch = new Uint32Array(1024);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bits of a float32 array, without copying. */
export function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Order key of float32 bits: |x| for "magnitude"; the signed order (−0 just below +0) otherwise. */
function keyOf(bits: number, signed: boolean): number {
  if (!signed) return (bits & 0x7fffffff) >>> 0;
  return (bits & 0x80000000) !== 0 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

export function valueOfKey(key: number, signed: boolean): number {
  u32[0] = !signed ? key : (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  return f32[0]!;
}

/** Keys at ascending ranks lowRank..highRank (inclusive), as a sorted Uint32Array window. */
export function selectKeys(values: Float32Array, lowRank: number, highRank: number, signed: boolean): { keys: Uint32Array; first: number } {
  const n = values.length;
  if (scratch.length < n) scratch = new Uint32Array(Math.max(n, 2 * scratch.length));
  const bits = bitsOf(values);
  let keys = scratch;
  for (let e = 0; e < n; e++) keys[e] = keyOf(bits[e]!, signed);
  let count = n;
  let first = 0; // rank of keys[0]
  let low = 0; // smallest key the window can hold
  let span = 0xffffffff; // largest key − low
  while (count > SORT_BELOW && span > 0) {
    let shift = 0;
    while (span / 2 ** shift >= BUCKETS) shift++;
    const width = 2 ** shift;
    histogram.fill(0);
    for (let i = 0; i < count; i++) histogram[(keys[i]! - low) >>> shift]!++;
    let cum = 0;
    let from = 0;
    while (cum + histogram[from]! <= lowRank - first) cum += histogram[from++]!;
    let to = from;
    let end = cum + histogram[from]!;
    while (end <= highRank - first) end += histogram[++to]!;
    if (from === 0 && end - cum === count && to === from) {
      // Everything in one bucket: narrow the range without moving keys.
      span = Math.min(span, width - 1);
      continue;
    }
    const lowKey = low + from * width;
    const highKey = Math.min(low + span, low + (to + 1) * width - 1);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const k = keys[i]!;
      if (k >= lowKey && k <= highKey) keys[at++] = k;
    }
    // The ranks straddle keys that no bucket split can separate (a few values, many ties): sort.
    if (at === count && highKey - lowKey === span) break;
    first += cum;
    count = at;
    low = lowKey;
    span = highKey - lowKey;
  }
  keys = keys.subarray(0, count).sort();
  // A copy: the scratch buffer is reused by the next selection.
  return { keys: keys.slice(lowRank - first, highRank - first + 1), first: lowRank };
}

/** Values at the given ascending 0-based ranks (of |x| for "magnitude"), in the order asked. */
export function orderStatistics(values: Float32Array, ranks: readonly number[], mode: SelectMode): number[] {
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= values.length) throw new RangeError(`rank ${r} is outside 0..${values.length - 1}`);
  }
  if (ranks.length === 0) return [];
  if (values.length >= RADIX_FROM) return selectOrderStatistics(values, ranks, mode);
  const signed = mode === "signed";
  const lowRank = Math.min(...ranks);
  const { keys } = selectKeys(values, lowRank, Math.max(...ranks), signed);
  return ranks.map((r) => valueOfKey(keys[r - lowRank]!, signed));
}

/** The k-th largest |x| (k ≥ 1). */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  return orderStatistics(values, [values.length - k], "magnitude")[0]!;
}
