/**
 * TIES's trim threshold per input: keep every element whose magnitude is at least the k-th largest
 * magnitude in the scope, k = floor(d·density), so that every element tied with it is kept and the
 * result never depends on element order or chunking. k = 0 keeps nothing; k ≥ d keeps everything.
 */
import { BLOCK, deltaInto } from "../../engine/kernels/elementwise.js";
import { OrderStatisticSelector } from "../../engine/kernels/order-statistics.js";
import type { ChunkInputs, KernelContext, StatsSession } from "../method.js";

/** Keep |δ| ≥ threshold. NaN keeps nothing (no comparison with NaN is true). */
export type TrimThresholds = number[];

/** Scratch slot the session uses for deltas. */
const DELTA_SLOT = 0;

/** The number of elements to keep: floor(d·density) in float64, as the reference code computes it. */
export function keepCount(scopeSize: number, density: number): number {
  return Math.floor(scopeSize * density);
}

export class TrimThresholdSession implements StatsSession<TrimThresholds> {
  private readonly thresholds: number[];
  private readonly selectors: (OrderStatisticSelector | null)[];

  /** `fromModels`: inputs are models and the deltas are taken against the chunk's base. */
  constructor(
    densities: readonly number[],
    scopeSize: number,
    private readonly fromModels: boolean,
  ) {
    this.thresholds = [];
    this.selectors = densities.map((density, i) => {
      const k = keepCount(scopeSize, density);
      if (k <= 0) this.thresholds[i] = NaN;
      else if (k >= scopeSize) this.thresholds[i] = 0;
      else return new OrderStatisticSelector("magnitude", scopeSize, [scopeSize - k]);
      return null;
    });
  }

  get needsPass(): boolean {
    return this.selectors.some((s) => s !== null && !s.done);
  }

  accumulate(chunk: ChunkInputs, ctx: KernelContext): void {
    this.selectors.forEach((selector, i) => {
      if (selector === null || selector.done) return;
      const input = chunk.inputs[i]!;
      if (!this.fromModels) {
        selector.feed(input, 0, chunk.length);
        return;
      }
      const base = chunk.base!;
      const delta = ctx.scratch.f32(DELTA_SLOT, Math.min(BLOCK, chunk.length));
      for (let s = 0; s < chunk.length; s += BLOCK) {
        const e = Math.min(chunk.length, s + BLOCK);
        deltaInto(input, base, s, e, delta);
        selector.feed(delta, 0, e - s);
      }
    });
  }

  endPass(): void {
    for (const s of this.selectors) if (s !== null) s.endPass();
  }

  result(): TrimThresholds {
    return this.selectors.map((s, i) => (s === null ? this.thresholds[i]! : s.values()[0]!));
  }
}
