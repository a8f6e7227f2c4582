/**
 * Exact order statistics without a full sort: a two-level radix select on order-preserving float32
 * keys (16 high bits, then 16 low bits inside the chosen buckets).
 *
 * The same selector works on one in-memory array and as a streaming accumulator over many chunks
 * (a whole model for `scope: "global"`): feed every chunk once per pass until `done`, then read the
 * values. Memory is bounded by the histograms (512 KiB for the first pass, 512 KiB per distinct
 * bucket in the second), never by the number of elements. Scopes of at most `SMALL_SCOPE` elements
 * are collected and sorted instead, in one pass.
 */
import { bitsView, type KeyMode, keyToFloat } from "./float-keys.js";

/** Scopes up to this many elements are selected by sorting a copy of their keys (one pass). */
export const SMALL_SCOPE = 4096;

const BUCKETS = 65536;

type Phase = "collect" | "high" | "low" | "done";

/**
 * What one histogram pass counts, as plain data, so that another thread can count a share of the
 * elements (`histogramInto`) and the selector add it (`addHistogram`).
 */
export type HistogramPass =
  | { kind: "high"; mode: KeyMode }
  /** Low 16 bits of the keys whose high 16 bits are `buckets[slot]`, one 65536-bin row per slot. */
  | { kind: "low"; mode: KeyMode; buckets: number[] };

/** Bins of the histogram a pass fills. */
export function histogramSize(pass: HistogramPass): number {
  return pass.kind === "high" ? BUCKETS : BUCKETS * pass.buckets.length;
}

/** Counts `values[start..end)` into `hist` (of `histogramSize(pass)` bins) for one pass. */
export function histogramInto(pass: HistogramPass, values: Float32Array, start: number, end: number, hist: Float64Array): void {
  const bits = bitsView(values);
  const signed = pass.mode === "signed";
  if (pass.kind === "high") {
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
        if (signed) highSigned(bits, start, end, this.high!);
        else highMagnitude(bits, start, end, this.high!);
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

  /** The current pass as plain data, or null when it collects (small scopes) or is done. */
  histogramPass(): HistogramPass | null {
    if (this.phase === "high") return { kind: "high", mode: this.mode };
    if (this.phase === "low") return { kind: "low", mode: this.mode, buckets: [...this.slotBuckets] };
    return null;
  }

  /** Adds a histogram of `count` elements that another thread counted for the current pass. */
  addHistogram(hist: Float64Array, count: number): void {
    const target = this.phase === "high" ? this.high : this.phase === "low" ? this.low : null;
    if (!target || hist.length !== target.length) throw new Error("order statistics: a histogram for another pass");
    for (let i = 0; i < hist.length; i++) target[i] += hist[i]!;
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
    const slotOf = new Int32Array(BUCKETS).fill(-1);
    for (const r of this.ranks) {
      let cum = 0;
      let b = 0;
      while (cum + high[b]! <= r) cum += high[b++]!;
      this.rankBucket.push(b);
      this.rankInBucket.push(r - cum);
      if (slotOf[b] === -1) {
        slotOf[b] = this.slotBuckets.length;
        this.slotBuckets.push(b);
      }
    }
    this.high = null;
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
