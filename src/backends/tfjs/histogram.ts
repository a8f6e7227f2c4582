/**
 * The histograms of the CPU engine's radix select (order-statistics.ts), counted on the device:
 * bucket i of a pass holds the values whose order key has high 16 bits i (high pass), or low 16 bits
 * i inside a chosen high bucket (low pass). tfjs has no bitcast, so a value's bucket is found by
 * comparing it with the bucket boundaries as float32 values — an upper-bound binary search, exact
 * because float comparisons are — and the buckets are counted with `bincount`. The selector on the
 * host then reads the order statistics from these histograms exactly as from its own.
 *
 * Differences that never change a comparison: −0 is counted with +0 (they compare equal), and every
 * NaN is counted as the positive quiet NaN (a rank that lands there selects NaN, as on the CPU).
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KeyMode, keyToFloat } from "../../engine/kernels/float-keys.js";
import { type HistogramPass, histogramSize } from "../../engine/kernels/order-statistics.js";

const BUCKET_BITS = 16;
const BUCKET_MASK = 0xffff;

/** The smallest and largest keys that stand for a number (not NaN): −∞ … +∞, or 0 … +∞. */
function keyRange(mode: KeyMode): [number, number] {
  return mode === "signed" ? [0x007fffff, 0xff800000] : [0, 0x7f800000];
}

/** The key every NaN is counted under: the positive quiet NaN's. */
export function nanKey(mode: KeyMode): number {
  return mode === "signed" ? 0xffc00000 : 0x7fc00000;
}

/**
 * One search over sorted float32 boundaries: `upperBound(x)` (how many boundaries are ≤ x) is in
 * [0, boundaries.length]; `place[j]` is the histogram bin that count j stands for (−1: not counted).
 */
export interface SearchLayout {
  boundaries: Float32Array;
  place: Int32Array;
  /** Bin of the NaN values in this histogram, or −1 when they belong to another one. */
  nanBin: number;
}

/** High pass: bucket = first valid bucket + upperBound over the first keys of the later buckets. */
export function highLayout(mode: KeyMode): SearchLayout {
  const [first, last] = keyRange(mode);
  const hFirst = first >>> BUCKET_BITS;
  const hLast = last >>> BUCKET_BITS;
  const boundaries = new Float32Array(hLast - hFirst);
  for (let h = hFirst + 1; h <= hLast; h++) boundaries[h - hFirst - 1] = keyToFloat(mode, (h << BUCKET_BITS) >>> 0);
  const place = new Int32Array(boundaries.length + 1);
  for (let j = 0; j < place.length; j++) place[j] = hFirst + j;
  return { boundaries, place, nanBin: nanKey(mode) >>> BUCKET_BITS };
}

/**
 * Low pass inside bucket `bucket` (histogram slot `slot`): the bucket's valid keys as boundaries,
 * and the next bucket's first key, so values below and above the bucket fall out of the count.
 */
export function lowLayout(mode: KeyMode, bucket: number, slot: number): SearchLayout {
  const [first, last] = keyRange(mode);
  const lo = Math.max((bucket << BUCKET_BITS) >>> 0, first);
  const hi = Math.min(((bucket << BUCKET_BITS) | BUCKET_MASK) >>> 0, last);
  const nanBin = bucket === nanKey(mode) >>> BUCKET_BITS ? slot * 65536 + (nanKey(mode) & BUCKET_MASK) : -1;
  if (lo > hi) return { boundaries: new Float32Array(0), place: Int32Array.of(-1), nanBin };
  const count = hi - lo + 1;
  const closed = hi < last; // the next key is a number: values from it on are above the bucket
  const boundaries = new Float32Array(count + (closed ? 1 : 0));
  for (let k = 0; k < boundaries.length; k++) boundaries[k] = keyToFloat(mode, lo + k);
  const place = new Int32Array(boundaries.length + 1).fill(-1);
  for (let j = 1; j <= count; j++) place[j] = slot * 65536 + ((lo + j - 1) & BUCKET_MASK);
  return { boundaries, place, nanBin };
}

/** Layouts are pure functions of their arguments and cost 65536 conversions each: keep recent ones. */
const layoutCache = new Map<string, SearchLayout>();

function cached(key: string, make: () => SearchLayout): SearchLayout {
  let layout = layoutCache.get(key);
  if (!layout) {
    if (layoutCache.size >= 32) layoutCache.delete(layoutCache.keys().next().value!);
    layout = make();
    layoutCache.set(key, layout);
  }
  return layout;
}

export function passLayouts(pass: HistogramPass): SearchLayout[] {
  if (pass.kind === "high") return [cached(`h:${pass.mode}`, () => highLayout(pass.mode))];
  return pass.buckets.map((b, slot) => cached(`l:${pass.mode}:${b}:${slot}`, () => lowLayout(pass.mode, b, slot)));
}

/** How upper bounds are searched: tfjs's SearchSorted, or a binary search of gathers (any backend). */
export type SearchMethod = "searchSorted" | "gather";

/** SearchSorted where the active tfjs backend has it (cpu, wasm, webgl); gathers elsewhere (tensorflow). */
export function defaultSearchMethod(): SearchMethod {
  return tf.getKernel("SearchSorted", tf.getBackend()) ? "searchSorted" : "gather";
}

/** How many `boundaries` are ≤ each value (int32); NaN values get 0. */
export function upperBound(boundaries: Float32Array, values: tf.Tensor, method: SearchMethod): tf.Tensor {
  return tf.tidy(() => {
    if (boundaries.length === 0) return tf.zeros(values.shape, "int32");
    if (method === "searchSorted") return tf.searchSorted(tf.tensor1d(boundaries), values, "right");
    // Padded to 2^p − 1 with NaN (no value is ≥ NaN); pos += step wherever boundaries[pos + step − 1] ≤ x.
    const steps = Math.ceil(Math.log2(boundaries.length + 1));
    const padded = new Float32Array(2 ** steps - 1).fill(NaN);
    padded.set(boundaries);
    const table = tf.tensor1d(padded);
    let pos: tf.Tensor = tf.zeros(values.shape, "int32");
    for (let step = 2 ** (steps - 1); step >= 1; step /= 2) {
      const next = tf.tidy(() => {
        const probe = tf.gather(table, tf.add(pos, tf.scalar(step - 1, "int32")));
        return tf.add(pos, tf.mul(tf.cast(tf.lessEqual(probe, values), "int32"), tf.scalar(step, "int32")));
      });
      pos.dispose();
      pos = next;
    }
    return pos;
  });
}

/**
 * The histogram of one pass over `series` (one statistics series of a chunk), as the CPU's
 * `histogramInto` would count it: `histogramSize(pass)` bins, downloaded to the host.
 */
export async function deviceHistogram(pass: HistogramPass, series: tf.Tensor, method: SearchMethod): Promise<Float64Array> {
  const hist = new Float64Array(histogramSize(pass));
  const layouts = passLayouts(pass);
  // [nan count, one bincount per layout]
  const [nans, ...counts] = tf.tidy((): tf.Tensor[] => {
    const values = pass.mode === "magnitude" ? tf.abs(series) : series;
    const isNaN = tf.notEqual(values, values);
    const nanCount = tf.sum(tf.cast(isNaN, "int32"));
    const perLayout = layouts.map((layout) => {
      const size = layout.boundaries.length + 1;
      // NaN goes to bin `size`, which bincount ignores; it is added from nanCount.
      const j = tf.where(isNaN, tf.scalar(size, "int32"), upperBound(layout.boundaries, values, method));
      return tf.bincount(tf.reshape(j, [-1]) as tf.Tensor1D, tf.tensor1d([], "int32"), size);
    });
    return [nanCount, ...perLayout];
  });
  try {
    const nanCount = (await nans!.data())[0]!;
    for (let l = 0; l < layouts.length; l++) {
      const layout = layouts[l]!;
      const c = await counts[l]!.data();
      for (let j = 0; j < c.length; j++) {
        const bin = layout.place[j]!;
        if (bin >= 0) hist[bin] += c[j]!;
      }
      if (layout.nanBin >= 0) hist[layout.nanBin] += nanCount;
    }
  } finally {
    tf.dispose([nans!, ...counts]);
  }
  return hist;
}
