/**
 * Runs a kernel's declared statistics (stages of exact order statistics and sums) over a scope: the
 * engine feeds every chunk of the scope once per pass while `needsPass`; a stage takes one pass
 * (sums, small scopes) or two (radix select). Chunks may also be counted by other threads:
 * `passInfo` describes the current pass as plain data, `addCounts` and `addBlockSums` take their
 * results.
 */
import type { AnyMethodKernel, ChunkInputs, KernelContext, SeriesSelection, StageResults } from "../methods/method.js";
import { BLOCK } from "./kernels/elementwise.js";
import { type HistogramPass, OrderStatisticSelector, SMALL_SCOPE, histogramInto, histogramSize } from "./kernels/order-statistics.js";
import { Scratch } from "./kernels/scratch.js";
import type { HistogramPart } from "./parallel/histogram-parts.js";

/** A range of a scope sampled for `StatsRunner.narrow`: its elements as a chunk, and their tensor's context. */
export interface SampleRun {
  chunk: ChunkInputs;
  ctx: KernelContext;
}

/** What one series counts this pass: a histogram, its sum, or nothing. */
export type SeriesPass = HistogramPass | { kind: "sum" } | null;

/** The current pass as plain data, for a thread that counts a share of a chunk. */
export interface PassInfo {
  stage: number;
  earlier: StageResults;
  passes: SeriesPass[];
}

export type StatsSlot = { kind: "select"; selector: OrderStatisticSelector } | { kind: "sum"; sum: number; done: boolean } | null;

export function slotDone(s: StatsSlot): boolean {
  return s === null || (s.kind === "select" ? s.selector.done : s.done);
}

/**
 * The stage bookkeeping every statistics runner shares (CPU here, TensorFlow.js in src/backends):
 * which series each stage selects or sums, when a pass completes a stage, and the final result.
 * Subclasses only feed values into `slots`.
 */
export abstract class StagedStatistics {
  protected stage = 0;
  protected readonly earlier: StageResults = [];
  protected slots: StatsSlot[] = [];
  private complete = false;

  constructor(
    protected readonly kernel: Pick<AnyMethodKernel, "name" | "stats">,
    protected readonly params: unknown,
    readonly scopeSize: number,
    protected readonly inputCount: number,
  ) {
    if (!kernel.stats) throw new Error(`${kernel.name} has no statistics`);
    this.startStage();
  }

  get needsPass(): boolean {
    return !this.complete;
  }

  endPass(): void {
    for (const s of this.slots) {
      if (s?.kind === "select") s.selector.endPass();
      else if (s?.kind === "sum") s.done = true;
    }
    if (this.slots.every(slotDone)) {
      this.earlier.push(this.slots.map((s) => (s === null ? [] : s.kind === "sum" ? [s.sum] : s.selector.values())));
      this.stage++;
      this.startStage();
    }
  }

  result(): unknown {
    if (!this.complete) throw new Error(`${this.kernel.name}: statistics read before they were complete`);
    return this.kernel.stats!.result(this.params, this.scopeSize, this.inputCount, this.earlier);
  }

  /** Starts the next stage; stages that need nothing complete at once. */
  private startStage(): void {
    const spec = this.kernel.stats!;
    for (;;) {
      const selections: SeriesSelection[] | null =
        this.scopeSize === 0 ? null : spec.stage(this.params, this.stage, this.scopeSize, this.inputCount, this.earlier);
      if (selections === null) {
        this.slots = [];
        this.complete = true;
        return;
      }
      this.slots = selections.map((sel): StatsSlot => {
        if (sel.mode === "sum") return { kind: "sum", sum: 0, done: false };
        if (sel.ranks.length === 0) return null;
        return { kind: "select", selector: new OrderStatisticSelector(sel.mode, this.scopeSize, sel.ranks) };
      });
      if (this.slots.some((s) => s !== null)) return;
      this.earlier.push(selections.map(() => []));
      this.stage++;
    }
  }
}

/**
 * A sample for `narrow`: runs of SAMPLE_RUN elements spread evenly over the chunk, one per 32768
 * elements, 32 to 2048 of them (a smaller sample keeps more buckets, which costs little on a small
 * scope; a large one narrows the kept range to what a billion-element global scope can keep, the
 * slack shrinking as 1/√sample).
 */
const SAMPLE_RUN = 512;
const MAX_SAMPLE_RUNS = 2048;
function sampleRuns(scopeSize: number): number {
  return Math.max(32, Math.min(MAX_SAMPLE_RUNS, Math.floor(scopeSize / 32768)));
}
/** Smaller scopes take their two passes: the sample would cost about what it saves. */
const NARROW_MIN_SCOPE = 1 << 18;

/** Per series, the histogram `narrow` counts its sample into (zero between calls; one thread). */
const narrowHistograms: Float64Array[] = [];
function narrowHistogram(series: number, size: number): Float64Array {
  const h = narrowHistograms[series];
  if (h && h.length === size) return h;
  return (narrowHistograms[series] = new Float64Array(size));
}

export class StatsRunner extends StagedStatistics {
  private readonly series = new Scratch();

  /** Whether other threads can count the current pass (not while small scopes are collected). */
  get parallelizable(): boolean {
    return this.needsPass && this.slots.every((s) => s === null || s.kind === "sum" || s.selector.done || s.selector.histogramPass() !== null);
  }

  passInfo(): PassInfo {
    return {
      stage: this.stage,
      earlier: this.earlier,
      passes: this.slots.map((s): SeriesPass => {
        if (slotDone(s)) return null;
        return s!.kind === "sum" ? { kind: "sum" } : s!.selector.histogramPass();
      }),
    };
  }

  /** Feeds elements [start, end) of a chunk (by default all of it) to the current pass. */
  accumulate(chunk: ChunkInputs, ctx: KernelContext, start = 0, end = chunk.length): void {
    const spec = this.kernel.stats!;
    const n = this.slots.length;
    const deltas = chunk.base && spec.deltaStage?.(this.params, this.stage) ? chunk.base : null;
    for (let s = start; s < end; s += BLOCK) {
      const e = Math.min(end, s + BLOCK);
      let out: Float32Array[] | null = null;
      const series = (): Float32Array[] => {
        if (out) return out;
        out = [];
        for (let i = 0; i < n; i++) out.push(this.series.f32(i, e - s));
        spec.values(this.params, this.stage, this.earlier, chunk, s, e, out, ctx);
        return out;
      };
      for (let i = 0; i < n; i++) {
        const slot = this.slots[i]!;
        if (slotDone(slot)) continue;
        if (slot.kind === "sum") slot.sum += sumOf(series()[i]!, e - s);
        else if (!(deltas && slot.selector.feedDeltas(chunk.inputs[i]!, deltas, s, e))) slot.selector.feed(series()[i]!, 0, e - s);
      }
    }
  }

  /**
   * Histograms another thread counted over `count` elements, and the keys it kept (one per series;
   * sums come by `addBlockSums`).
   */
  addCounts(counts: readonly (HistogramPart | null)[], count: number, kept: readonly (Uint32Array | null)[] = []): void {
    this.slots.forEach((slot, i) => {
      if (slot?.kind !== "select" || slot.selector.done) return;
      slot.selector.addHistogram(counts[i]!.bins, count, counts[i]!.offset);
      const keys = kept[i];
      if (keys) slot.selector.addKept(keys);
    });
  }

  /**
   * The element ranges of the scope that `narrow` would sample now: none unless a selection's first
   * pass is about to start on a scope large enough to gain from it.
   */
  samplePlan(): [number, number][] {
    if (this.scopeSize < NARROW_MIN_SCOPE) return [];
    if (!this.slots.some((s) => s?.kind === "select" && s.selector.narrowable)) return [];
    const runs = sampleRuns(this.scopeSize);
    return Array.from({ length: runs }, (_, r): [number, number] => {
      const start = Math.floor(((this.scopeSize - SAMPLE_RUN) * r) / (runs - 1));
      return [start, start + SAMPLE_RUN];
    });
  }

  /**
   * Before a pass: lets the selectors of a first pass that has not started keep the keys near their
   * ranks, judged from a sample of the scope (see OrderStatisticSelector.narrow), so that most
   * selections take one pass instead of two. `sample(start, end)` gives each range of `samplePlan`
   * as a chunk of its own (it may give fewer elements, e.g. at the end of a tensor) with the
   * context of its tensor.
   */
  narrow(sample: (start: number, end: number) => SampleRun): void {
    const plan = this.samplePlan();
    if (plan.length === 0) return;
    const selectors = this.slots.map((s) => (s?.kind === "select" && s.selector.narrowable ? s.selector : null));
    const spec = this.kernel.stats!;
    const n = this.slots.length;
    const passes = selectors.map((s): HistogramPass | null => (s ? { kind: "high", mode: s.mode } : null));
    // The runs' values are gathered and counted in one histogram call per series: a call per run of
    // 512 cost more than the counting, and so did a fresh 512 KB histogram per series and tensor.
    const room = plan.reduce((a, [start, end]) => a + end - start, 0);
    const gathered = Array.from({ length: n }, (_, i) => this.series.f32(i, room));
    let count = 0;
    for (const [start, end] of plan) {
      const { chunk, ctx } = sample(start, end);
      const out = gathered.map((g) => g.subarray(count, count + chunk.length));
      spec.values(this.params, this.stage, this.earlier, chunk, 0, chunk.length, out, ctx);
      count += chunk.length;
    }
    const hists = passes.map((p, i) => (p ? narrowHistogram(i, histogramSize(p)) : null));
    passes.forEach((p, i) => p && histogramInto(p, gathered[i]!, 0, count, hists[i]!));
    selectors.forEach((s, i) => s?.narrow(hists[i]!, count));
    for (const h of hists) h?.fill(0);
  }

  /**
   * Per-block sums of a chunk (sums[block · series + i], blocks of BLOCK elements), added in block
   * order: the same float64 additions, in the same order, as `accumulate` on one thread.
   */
  addBlockSums(sums: Float64Array): void {
    const n = this.slots.length;
    const blocks = sums.length / n;
    this.slots.forEach((slot, i) => {
      if (slot?.kind !== "sum" || slot.done) return;
      for (let b = 0; b < blocks; b++) slot.sum += sums[b * n + i]!;
    });
  }
}

/** Σ values[0..length), in float64, in order. */
export function sumOf(values: Float32Array, length: number): number {
  let s = 0;
  for (let i = 0; i < length; i++) s += values[i]!;
  return s;
}

/**
 * Passes over the scope a kernel's statistics take (for planning): one per stage for sums and small
 * scopes, two for radix-selected ones. Stages are asked with placeholder results of the earlier
 * stages, so a stage's selection may depend on how many statistics came before, not on their values.
 */
export function countStatsPasses(kernel: AnyMethodKernel, params: unknown, scopeSize: number, inputCount: number): number {
  if (!kernel.stats || scopeSize === 0) return 0;
  const earlier: StageResults = [];
  let passes = 0;
  for (let stage = 0; ; stage++) {
    const selections = kernel.stats.stage(params, stage, scopeSize, inputCount, earlier);
    if (selections === null) return passes;
    const selects = selections.some((s) => s.mode !== "sum" && s.ranks.length > 0);
    const sums = selections.some((s) => s.mode === "sum");
    if (selects) passes += scopeSize <= SMALL_SCOPE ? 1 : 2;
    else if (sums) passes += 1;
    earlier.push(selections.map((s) => (s.mode === "sum" ? [0] : s.ranks.map(() => 0))));
  }
}
