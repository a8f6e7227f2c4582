/**
 * Runs a kernel's declared statistics (stages of exact order statistics) over a scope: the engine
 * feeds every chunk of the scope once per pass while `needsPass`; each stage takes one pass (small
 * scopes, sorted) or two (radix select). Chunks may also be counted by other threads: `passInfo`
 * describes the current pass as plain data and `addHistograms` takes their counts.
 */
import type { AnyMethodKernel, ChunkInputs, KernelContext, SeriesSelection, StageResults } from "../methods/method.js";
import { BLOCK } from "./kernels/elementwise.js";
import { type HistogramPass, OrderStatisticSelector } from "./kernels/order-statistics.js";
import { Scratch } from "./kernels/scratch.js";

/** The current pass as plain data, for a thread that counts a share of a chunk. */
export interface PassInfo {
  stage: number;
  earlier: StageResults;
  /** Per series: its histogram pass, or null when the series needs nothing this pass. */
  passes: (HistogramPass | null)[];
}

export class StatsRunner {
  private stage = 0;
  private readonly earlier: StageResults = [];
  private selectors: (OrderStatisticSelector | null)[] = [];
  private complete = false;
  private readonly series = new Scratch();

  constructor(
    private readonly kernel: AnyMethodKernel,
    private readonly params: unknown,
    readonly scopeSize: number,
    private readonly inputCount: number,
  ) {
    if (!kernel.stats) throw new Error(`${kernel.name} has no statistics`);
    this.startStage();
  }

  get needsPass(): boolean {
    return !this.complete;
  }

  /** Whether the current pass can be counted by other threads (histogram passes only). */
  get parallelizable(): boolean {
    return !this.complete && this.selectors.every((s) => s === null || s.done || s.histogramPass() !== null);
  }

  passInfo(): PassInfo {
    return {
      stage: this.stage,
      earlier: this.earlier,
      passes: this.selectors.map((s) => (s === null || s.done ? null : s.histogramPass())),
    };
  }

  accumulate(chunk: ChunkInputs, ctx: KernelContext): void {
    const spec = this.kernel.stats!;
    const n = this.selectors.length;
    for (let s = 0; s < chunk.length; s += BLOCK) {
      const e = Math.min(chunk.length, s + BLOCK);
      const out: Float32Array[] = [];
      for (let i = 0; i < n; i++) out.push(this.series.f32(i, e - s));
      spec.values(this.params, this.stage, this.earlier, chunk, s, e, out, ctx);
      for (let i = 0; i < n; i++) {
        const sel = this.selectors[i];
        if (sel && !sel.done) sel.feed(out[i]!, 0, e - s);
      }
    }
  }

  /** Counts from another thread: one histogram per series (null where the series needs nothing). */
  addHistograms(hists: (Float64Array | null)[], count: number): void {
    this.selectors.forEach((sel, i) => {
      if (sel && !sel.done) sel.addHistogram(hists[i]!, count);
    });
  }

  endPass(): void {
    for (const s of this.selectors) s?.endPass();
    if (this.selectors.every((s) => s === null || s.done)) {
      this.earlier.push(this.selectors.map((s) => (s === null ? [] : s.values())));
      this.stage++;
      this.startStage();
    }
  }

  result(): unknown {
    if (!this.complete) throw new Error(`${this.kernel.name}: statistics read before they were complete`);
    return this.kernel.stats!.result(this.params, this.scopeSize, this.inputCount, this.earlier);
  }

  /** Starts the next stage; stages that need no selection complete at once. */
  private startStage(): void {
    const spec = this.kernel.stats!;
    for (;;) {
      const selections: SeriesSelection[] | null =
        this.scopeSize === 0 ? null : spec.stage(this.params, this.stage, this.scopeSize, this.inputCount, this.earlier);
      if (selections === null) {
        this.selectors = [];
        this.complete = true;
        return;
      }
      this.selectors = selections.map((sel) =>
        sel.ranks.length === 0 ? null : new OrderStatisticSelector(sel.mode, this.scopeSize, sel.ranks),
      );
      if (this.selectors.some((s) => s !== null)) return;
      this.earlier.push(selections.map(() => []));
      this.stage++;
    }
  }
}
