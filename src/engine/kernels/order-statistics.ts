/**
 * Exact order statistics without a full sort: a two-level radix select on order-preserving float32
 * keys (16 high bits, then 16 low bits inside the chosen buckets).
 *
 * The same selector works on one in-memory array and as a streaming accumulator over many chunks
 * (a whole model for `scope: "global"`): feed every chunk once per pass until `done`, then read the
 * values. Memory is bounded by the histograms (512 KiB for the first pass, 512 KiB per distinct
 * bucket in the second), never by the number of elements. Scopes of at most `SMALL_SCOPE` elements
 * are collected and sorted instead, in one pass.
 *
 * A selector told from a sample where its ranks probably fall (`narrow`) also keeps, during the
 * first pass, the keys of the few high buckets around them: when every rank does fall there, the
 * second pass is counted from the kept keys and the selection ends after one pass over the data.
 * Otherwise the second pass runs as usual: the sample only decides how fast, never the result.
 */
import { bitsView, type KeyMode, keyToFloat } from "./float-keys.js";
import { type SimdKernels, simdKernels } from "../../wasm/simd-kernels.js";

/** Scopes up to this many elements are selected by sorting a copy of their keys (one pass). */
export const SMALL_SCOPE = 4096;

const BUCKETS = 65536;

type Phase = "collect" | "high" | "low" | "done";

/**
 * What one histogram pass counts, as plain data, so that another thread can count a share of the
 * elements (`histogramInto`) and the selector add it (`addHistogram`).
 */
export type HistogramPass =
  /**
   * High 16 bits of the keys; with `keep`, a ranged pass: keys whose high bits are in [lo, lo + span]
   * are counted per bucket and kept, those below the range counted in bin lo − 1, those above in bin
   * lo + span + 1 (no 65536-bin histogram).
   */
  | { kind: "high"; mode: KeyMode; keep?: KeptBuckets }
  /** Low 16 bits of the keys whose high 16 bits are `buckets[slot]`, one 65536-bin row per slot. */
  | { kind: "low"; mode: KeyMode; buckets: number[] };

/** A range of high buckets whose keys a first pass keeps. */
export interface KeptBuckets {
  lo: number;
  span: number;
}

/**
 * Keys a narrowed selection keeps at most: 2²⁴ (64 MiB), or one in 32 of the scope's elements (an
 * eighth of a byte per element) for larger scopes, so that a large model in global scope still
 * ends in one pass (a second read of every model costs far more than those bytes).
 */
export function maxKept(total: number): number {
  return Math.max(1 << 24, Math.floor(total / 32));
}

/** Keys a KeyList keeps room for between uses (1 MiB). */
const KEEP_CAPACITY = 1 << 18;

/**
 * A growable list of keys (reused: `take` hands over a copy and empties it). It starts empty and
 * grows as keys come: a selection per tensor and series makes one, and most keep few keys.
 */
export class KeyList {
  private keys = new Uint32Array(0);
  length = 0;

  /** Room for `extra` more keys; the array to write them to (valid until the next call). */
  reserve(extra: number): Uint32Array {
    if (this.length + extra > this.keys.length) {
      const grown = new Uint32Array(Math.max(2 * this.keys.length, this.length + extra, 4096));
      grown.set(this.keys.subarray(0, this.length));
      this.keys = grown;
    }
    return this.keys;
  }

  /** The keys (a view, valid until the list changes). */
  view(): Uint32Array {
    return this.keys.subarray(0, this.length);
  }

  take(): Uint32Array {
    const out = this.keys.slice(0, this.length);
    this.length = 0;
    // A large tensor's keys need not stay allocated for the rest of the run.
    if (this.keys.length > KEEP_CAPACITY) this.keys = new Uint32Array(KEEP_CAPACITY);
    return out;
  }
}

/** Bins of the histogram a pass fills. */
export function histogramSize(pass: HistogramPass): number {
  return pass.kind === "high" ? BUCKETS : BUCKETS * pass.buckets.length;
}

/**
 * Counts `values[start..end)` into `hist` (of `histogramSize(pass)` bins) for one pass, and adds the
 * keys the pass keeps (if any) to `kept`.
 */
export function histogramInto(pass: HistogramPass, values: Float32Array, start: number, end: number, hist: Float64Array, kept?: KeyList): void {
  histogramIntoWith(simdKernels(), pass, values, start, end, hist, kept);
}

/** histogramInto on the given SIMD kernels, or (null) on the JavaScript loops: the reference. */
export function histogramIntoWith(simd: SimdKernels | null, pass: HistogramPass, values: Float32Array, start: number, end: number, hist: Float64Array, kept?: KeyList): void {
  const bits = bitsView(values);
  const signed = pass.mode === "signed";
  if (simd && pass.kind === "high") {
    const keep = pass.keep ?? null;
    if (keep && !kept) throw new Error("order statistics: a pass that keeps keys needs a key list");
    const keys = keep ? kept!.reserve(end - start) : null;
    const at = simd.histogramHigh(bits.subarray(start, end), signed, hist, keep, keys, keep ? kept!.length : 0);
    if (keep) kept!.length = at;
  } else if (pass.kind === "high" && pass.keep) {
    if (!kept) throw new Error("order statistics: a pass that keeps keys needs a key list");
    const keys = kept.reserve(end - start);
    const { lo, span } = pass.keep;
    kept.length = rangedHigh(bits, start, end, signed, hist, lo, span, keys, kept.length);
  } else if (pass.kind === "high") {
    if (signed) highSigned(bits, start, end, hist);
    else highMagnitude(bits, start, end, hist);
  } else if (pass.buckets.length === 1) {
    if (signed) lowSignedOne(bits, start, end, pass.buckets[0]!, hist);
    else lowMagnitudeOne(bits, start, end, pass.buckets[0]!, hist);
  } else {
    const slotOf = new Int32Array(BUCKETS).fill(-1);
    pass.buckets.forEach((b, i) => (slotOf[b] = i));
    if (signed) lowSignedMany(bits, start, end, slotOf, hist);
    else lowMagnitudeMany(bits, start, end, slotOf, hist);
  }
}

/**
 * A first ("high") pass over the deltas f32(model[k] − base[k]), k in [start, end), computed inside
 * the SIMD kernel (no series written): the counts and kept keys histogramIntoWith gives the deltas.
 */
export function histogramDeltasInto(simd: SimdKernels, pass: HistogramPass, model: Float32Array, base: Float32Array, start: number, end: number, hist: Float64Array, kept?: KeyList): void {
  if (pass.kind !== "high") throw new Error("order statistics: deltas are counted in a first pass only");
  const keep = pass.keep ?? null;
  if (keep && !kept) throw new Error("order statistics: a pass that keeps keys needs a key list");
  const keys = keep ? kept!.reserve(end - start) : null;
  const at = simd.histogramHighDeltas(model.subarray(start, end), base.subarray(start, end), pass.mode === "signed", hist, keep, keys, keep ? kept!.length : 0);
  if (keep) kept!.length = at;
}

export class OrderStatisticSelector {
  readonly mode: KeyMode;
  readonly total: number;
  /** Ascending 0-based ranks, in the order the caller gave them. */
  readonly ranks: readonly number[];
  private phase: Phase;
  private fed = 0;
  private collected: Uint32Array | null = null;
  private high: Float64Array | null = null;
  private low: Float64Array | null = null;
  private slotOf: Int32Array | null = null;
  private slotBuckets: number[] = [];
  /** Per rank: its high bucket and its rank inside that bucket. */
  private rankBucket: number[] = [];
  private rankInBucket: number[] = [];
  private resultKeys: number[] = [];
  /** High buckets whose keys the first pass keeps, the keys kept, and whether `narrow` was asked. */
  private keep: KeptBuckets | null = null;
  private kept: Uint32Array[] = [];
  private ownKept: KeyList | null = null;
  private keptCount = 0;
  private narrowed = false;
  /** Whether the current first pass is ranged (counts exact only inside `keep`'s buckets). */
  private ranged = false;

  constructor(mode: KeyMode, total: number, ranks: readonly number[]) {
    if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`order statistics: bad element count ${total}`);
    for (const r of ranks) {
      if (!Number.isSafeInteger(r) || r < 0 || r >= total) {
        throw new RangeError(`order statistics: rank ${r} is outside 0..${total - 1}`);
      }
    }
    this.mode = mode;
    this.total = total;
    this.ranks = [...ranks];
    if (ranks.length === 0) this.phase = "done";
    else if (total <= SMALL_SCOPE) {
      this.phase = "collect";
      this.collected = new Uint32Array(total);
    } else {
      this.phase = "high";
      this.high = new Float64Array(BUCKETS);
    }
  }

  /** True when every requested order statistic is known. */
  get done(): boolean {
    return this.phase === "done";
  }

  /** Feeds `values[start..end)` to the current pass. Every pass must see all `total` elements. */
  feed(values: Float32Array, start = 0, end = values.length): void {
    if (end <= start) return;
    const bits = bitsView(values);
    const signed = this.mode === "signed";
    switch (this.phase) {
      case "collect":
        collectKeys(bits, start, end, this.collected!, this.fed, signed);
        break;
      case "high":
        this.feedHigh((pass, hist, kept) => histogramInto(pass, values, start, end, hist, kept));
        break;
      case "low":
        if (this.slotBuckets.length === 1) {
          if (signed) lowSignedOne(bits, start, end, this.slotBuckets[0]!, this.low!);
          else lowMagnitudeOne(bits, start, end, this.slotBuckets[0]!, this.low!);
        } else if (signed) lowSignedMany(bits, start, end, this.slotOf!, this.low!);
        else lowMagnitudeMany(bits, start, end, this.slotOf!, this.low!);
        break;
      case "done":
        throw new Error("order statistics: fed after the selection finished");
    }
    this.fed += end - start;
    if (this.fed > this.total) throw new Error(`order statistics: fed ${this.fed} elements, expected ${this.total}`);
  }

  /**
   * Feeds the deltas f32(model[k] − base[k]) for k in [start, end) when the SIMD kernels can take
   * them from the inputs directly (a first pass; the same counts as `feed` of the deltas); returns
   * false, having fed nothing, otherwise.
   */
  feedDeltas(model: Float32Array, base: Float32Array, start: number, end: number): boolean {
    const simd = simdKernels();
    if (this.phase !== "high" || !simd || end <= start) return false;
    this.feedHigh((pass, hist, kept) => histogramDeltasInto(simd, pass, model, base, start, end, hist, kept));
    this.fed += end - start;
    if (this.fed > this.total) throw new Error(`order statistics: fed ${this.fed} elements, expected ${this.total}`);
    return true;
  }

  private feedHigh(count: (pass: HistogramPass, hist: Float64Array, kept?: KeyList) => void): void {
    if (this.keep) {
      const own = (this.ownKept ??= new KeyList());
      const before = own.length;
      count(this.histogramPass()!, this.high!, own);
      this.tallyKept(own.length - before);
    } else count(this.histogramPass()!, this.high!);
  }

  /** Whether `narrow` can still act: a first pass that has not started. */
  get narrowable(): boolean {
    return this.phase === "high" && this.fed === 0 && !this.narrowed;
  }

  /**
   * Before the first pass: from the high-bucket histogram of a sample of `sampleCount` elements
   * drawn across the scope, picks the buckets the ranks fall in with near certainty (six standard
   * errors of a sampled quantile either side) for the pass to keep. Keeps nothing when they would
   * hold more than 1/8 of the elements.
   */
  narrow(sampleHigh: Float64Array, sampleCount: number): void {
    if (!this.narrowable || sampleCount <= 0) return;
    this.narrowed = true;
    let lo = BUCKETS;
    let hi = -1;
    for (const r of this.ranks) {
      const q = (r + 0.5) / this.total;
      const slack = 6 * Math.sqrt((q * (1 - q)) / sampleCount) + 4 / sampleCount;
      lo = Math.min(lo, bucketAtRank(sampleHigh, Math.max(0, Math.floor((q - slack) * sampleCount))));
      hi = Math.max(hi, bucketAtRank(sampleHigh, Math.min(sampleCount - 1, Math.ceil((q + slack) * sampleCount))));
    }
    let inside = 0;
    for (let b = lo; b <= hi; b++) inside += sampleHigh[b]!;
    // Half the cap: the sample only estimates how many keys the buckets hold.
    if (hi < lo || inside > sampleCount / 8 || (inside / sampleCount) * this.total > maxKept(this.total) / 2) return;
    this.keep = { lo, span: hi - lo };
    this.ranged = true;
  }

  /** Keys another thread kept in the first pass (see `narrow`); past maxKept keys, none are kept. */
  addKept(keys: Uint32Array): void {
    if (this.phase !== "high" || !this.narrowed) throw new Error("order statistics: kept keys for a pass that keeps none");
    if (this.keep && this.tallyKept(keys.length)) this.kept.push(keys);
  }

  /** Counts kept keys; past maxKept keeps none any more (the second pass then runs as usual). */
  private tallyKept(count: number): boolean {
    this.keptCount += count;
    if (this.keptCount <= maxKept(this.total)) return true;
    this.keep = null;
    this.kept = [];
    this.ownKept = null;
    return false;
  }

  /** The current pass as plain data, or null when it collects (small scopes) or is done. */
  histogramPass(): HistogramPass | null {
    if (this.phase === "high") return this.keep ? { kind: "high", mode: this.mode, keep: { ...this.keep } } : { kind: "high", mode: this.mode };
    if (this.phase === "low") return { kind: "low", mode: this.mode, buckets: [...this.slotBuckets] };
    return null;
  }

  /**
   * Adds a histogram of `count` elements that another thread counted for the current pass: its
   * bins from `offset` on (every other bin zero), or all of them.
   */
  addHistogram(hist: Float64Array, count: number, offset = 0): void {
    const target = this.phase === "high" ? this.high : this.phase === "low" ? this.low : null;
    if (!target || !(Number.isInteger(offset) && offset >= 0 && offset + hist.length <= target.length)) {
      throw new Error("order statistics: a histogram for another pass");
    }
    for (let i = 0; i < hist.length; i++) target[offset + i] += hist[i]!;
    this.fed += count;
    if (this.fed > this.total) throw new Error(`order statistics: fed ${this.fed} elements, expected ${this.total}`);
  }

  /** Ends a pass over all elements. */
  endPass(): void {
    if (this.phase === "done") return;
    if (this.fed !== this.total) {
      throw new Error(`order statistics: a pass saw ${this.fed} elements, expected ${this.total}`);
    }
    this.fed = 0;
    if (this.phase === "collect") {
      const keys = this.collected!.sort();
      this.resultKeys = this.ranks.map((r) => keys[r]!);
      this.collected = null;
      this.phase = "done";
    } else if (this.phase === "high") this.finishHigh();
    else this.finishLow();
  }

  /** The order statistics, one per requested rank (magnitudes for "magnitude"). */
  values(): number[] {
    if (this.phase !== "done") throw new Error("order statistics: read before the selection finished");
    return this.resultKeys.map((k) => keyToFloat(this.mode, k));
  }

  private finishHigh(): void {
    const high = this.high!;
    for (const r of this.ranks) {
      let cum = 0;
      let b = 0;
      while (cum + high[b]! <= r) cum += high[b++]!;
      this.rankBucket.push(b);
      this.rankInBucket.push(r - cum);
      if (!this.slotBuckets.includes(b)) this.slotBuckets.push(b);
    }
    this.high = null;
    const keep = this.keep;
    const kept = this.ownKept ? [...this.kept, this.ownKept.view()] : this.kept;
    this.keep = null;
    this.kept = [];
    this.ownKept = null;
    const ranged = this.ranged;
    this.ranged = false;
    // Every rank's bucket was kept whole: the second pass is counted from the kept keys.
    if (keep && this.slotBuckets.every((b) => b - keep.lo >= 0 && b - keep.lo <= keep.span)) {
      this.resultKeys = this.ranks.map((_, i) => keyAtRank(kept, this.rankBucket[i]!, this.rankInBucket[i]!));
      this.phase = "done";
      return;
    }
    // The sample guessed wrong (or too many keys): a ranged pass's counts outside its range are
    // lumped, so a full first pass runs again before the second.
    if (ranged) {
      this.rankBucket = [];
      this.rankInBucket = [];
      this.slotBuckets = [];
      this.high = new Float64Array(BUCKETS);
      return;
    }
    const slotOf = new Int32Array(BUCKETS).fill(-1);
    this.slotBuckets.forEach((b, slot) => (slotOf[b] = slot));
    this.slotOf = slotOf;
    this.low = new Float64Array(BUCKETS * this.slotBuckets.length);
    this.phase = "low";
  }

  private finishLow(): void {
    const low = this.low!;
    const slotOf = this.slotOf!;
    this.resultKeys = this.ranks.map((_, i) => {
      const bucket = this.rankBucket[i]!;
      const base = slotOf[bucket]! * BUCKETS;
      const r = this.rankInBucket[i]!;
      let cum = 0;
      let l = 0;
      while (cum + low[base + l]! <= r) cum += low[base + l++]!;
      return ((bucket << 16) | l) >>> 0;
    });
    this.low = null;
    this.slotOf = null;
    this.phase = "done";
  }
}

/** The bucket holding the element of ascending rank `rank` (0-based) of a histogram. */
function bucketAtRank(hist: Float64Array, rank: number): number {
  let cum = 0;
  let b = 0;
  while (b < BUCKETS - 1 && cum + hist[b]! <= rank) cum += hist[b++]!;
  return b;
}

/** Low-bits histogram of one bucket's kept keys (reused: zero between calls). */
const bucketLow = new Float64Array(BUCKETS);

/** The key of ascending rank `rank` among the kept keys whose high bits are `bucket`. */
function keyAtRank(kept: readonly Uint32Array[], bucket: number, rank: number): number {
  for (const keys of kept) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k >>> 16 === bucket) bucketLow[k & 0xffff]++;
    }
  }
  let cum = 0;
  let l = 0;
  while (cum + bucketLow[l]! <= rank) cum += bucketLow[l++]!;
  bucketLow.fill(0);
  return ((bucket << 16) | l) >>> 0;
}

/** highMagnitude that also keeps keys whose bucket is in [lo, lo + span]; returns the new key count. */
/**
 * A ranged first pass (the reference of kernels.wat's range_high): exact counts only for the
 * buckets in [lo, lo + span]; the keys below the range are counted in bin lo − 1 and those above in
 * bin lo + span + 1 (none exist past the ends of the key space), and the keys in the range are kept.
 */
export function rangedHigh(bits: Uint32Array, start: number, end: number, signed: boolean, high: Float64Array, lo: number, span: number, keys: Uint32Array, n: number): number {
  let below = 0;
  let above = 0;
  for (let i = start; i < end; i++) {
    const x = bits[i]! | 0;
    const k = signed ? (x < 0 ? ~x : x | 0x80000000) >>> 0 : x & 0x7fffffff;
    const b = k >>> 16;
    if (b < lo) below++;
    else if (b - lo > span) above++;
    else {
      high[b]++;
      keys[n++] = k;
    }
  }
  addOutside(high, lo, span, below, above);
  return n;
}

function addOutside(high: Float64Array, lo: number, span: number, below: number, above: number): void {
  if (below > 0) high[lo - 1] += below;
  if (above > 0) high[lo + span + 1] += above;
}

function collectKeys(bits: Uint32Array, start: number, end: number, out: Uint32Array, at: number, signed: boolean): void {
  if (signed) {
    for (let i = start; i < end; i++) {
      const b = bits[i]! | 0;
      out[at++] = b < 0 ? ~b : b | 0x80000000;
    }
  } else {
    for (let i = start; i < end; i++) out[at++] = bits[i]! & 0x7fffffff;
  }
}

function highMagnitude(bits: Uint32Array, start: number, end: number, high: Float64Array): void {
  for (let i = start; i < end; i++) high[(bits[i]! & 0x7fffffff) >>> 16]++;
}

function highSigned(bits: Uint32Array, start: number, end: number, high: Float64Array): void {
  for (let i = start; i < end; i++) {
    const b = bits[i]! | 0;
    high[(b < 0 ? ~b : b | 0x80000000) >>> 16]++;
  }
}

function lowMagnitudeOne(bits: Uint32Array, start: number, end: number, bucket: number, low: Float64Array): void {
  for (let i = start; i < end; i++) {
    const k = bits[i]! & 0x7fffffff;
    if (k >>> 16 === bucket) low[k & 0xffff]++;
  }
}

function lowSignedOne(bits: Uint32Array, start: number, end: number, bucket: number, low: Float64Array): void {
  for (let i = start; i < end; i++) {
    const b = bits[i]! | 0;
    const k = b < 0 ? ~b : b | 0x80000000;
    if (k >>> 16 === bucket) low[k & 0xffff]++;
  }
}

function lowMagnitudeMany(bits: Uint32Array, start: number, end: number, slotOf: Int32Array, low: Float64Array): void {
  for (let i = start; i < end; i++) {
    const k = bits[i]! & 0x7fffffff;
    const s = slotOf[k >>> 16]!;
    if (s >= 0) low[(s << 16) | (k & 0xffff)]++;
  }
}

function lowSignedMany(bits: Uint32Array, start: number, end: number, slotOf: Int32Array, low: Float64Array): void {
  for (let i = start; i < end; i++) {
    const b = bits[i]! | 0;
    const k = b < 0 ? ~b : b | 0x80000000;
    const s = slotOf[k >>> 16]!;
    if (s >= 0) low[(s << 16) | (k & 0xffff)]++;
  }
}

/** Order statistics (ascending, 0-based ranks) of one in-memory array. */
export function selectOrderStatistics(values: Float32Array, ranks: readonly number[], mode: KeyMode): number[] {
  const selector = new OrderStatisticSelector(mode, values.length, ranks);
  while (!selector.done) {
    selector.feed(values);
    selector.endPass();
  }
  return selector.values();
}

/** The k-th largest magnitude (k ≥ 1) of an in-memory array. */
export function kthLargestMagnitude(values: Float32Array, k: number): number {
  return selectOrderStatistics(values, [values.length - k], "magnitude")[0]!;
}
