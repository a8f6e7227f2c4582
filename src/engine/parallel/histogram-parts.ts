/**
 * Histograms a thread counts into and hands over cut to their non-zero bins. A radix-select pass has
 * 65536 bins per series but the values of one tensor fill a few thousand of them: handing over the
 * used range keeps messages small, and the main thread adds a few kilobytes instead of streaming
 * half a megabyte per series and thread through memory. Buffers are reused from pass to pass.
 */
import { KeyList } from "../kernels/order-statistics.js";

/** Bins [offset, offset + bins.length) of a histogram (every bin outside is zero). */
export interface HistogramPart {
  offset: number;
  bins: Float64Array;
}

export class HistogramBuffers {
  /** Per series; all zero between passes. */
  private buffers: Float64Array[] = [];
  /** Per series: the keys a first pass keeps (see OrderStatisticSelector.narrow). */
  private readonly keyLists: KeyList[] = [];

  /** The (empty) key list of series `i`. */
  keys(i: number): KeyList {
    return (this.keyLists[i] ??= new KeyList());
  }

  /** The zeroed histogram of `size` bins for series `i`. */
  zeroed(i: number, size: number): Float64Array {
    let buffer = this.buffers[i];
    if (buffer === undefined || buffer.length < size) {
      buffer = new Float64Array(size);
      this.buffers[i] = buffer;
    }
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  }

  /** Series `i`'s counts as a part (a copy), zeroing the buffer again. */
  take(i: number, size: number): HistogramPart {
    const hist = this.zeroed(i, size);
    let lo = 0;
    while (lo < size && hist[lo] === 0) lo++;
    let hi = size;
    while (hi > lo && hist[hi - 1] === 0) hi--;
    const part = { offset: lo, bins: hist.slice(lo, hi) };
    hist.fill(0, lo, hi);
    return part;
  }
}
