/**
 * The work of one element range of a chunk, the same on the main thread and in workers: a kernel's
 * `apply` on views of the range, or the histograms of a statistics pass over the range.
 */
import type { AnyMethodKernel, ChunkInputs, KernelContext } from "../../methods/method.js";
import { BLOCK } from "../kernels/elementwise.js";
import { histogramInto, histogramSize } from "../kernels/order-statistics.js";
import type { Scratch } from "../kernels/scratch.js";
import { type PassInfo, sumOf } from "../stats-runner.js";

/** The sub-chunk [start, end) as views (no copy). */
export function sliceChunk(chunk: ChunkInputs, start: number, end: number): ChunkInputs {
  return {
    inputs: chunk.inputs.map((x) => x.subarray(start, end)),
    base: chunk.base ? chunk.base.subarray(start, end) : null,
    length: end - start,
    offset: chunk.offset + start,
    rowLength: chunk.rowLength,
  };
}

export function applyRange(
  kernel: AnyMethodKernel,
  params: unknown,
  stats: unknown,
  chunk: ChunkInputs,
  out: Float32Array,
  start: number,
  end: number,
  ctx: KernelContext,
): void {
  kernel.apply(params, stats, sliceChunk(chunk, start, end), out.subarray(start, end), ctx);
}

/**
 * What every series counts this pass over elements [start, end) of the chunk: a histogram, or
 * [sum] (summed block by block, as the main thread does).
 */
export function countRange(
  kernel: AnyMethodKernel,
  params: unknown,
  pass: PassInfo,
  chunk: ChunkInputs,
  start: number,
  end: number,
  ctx: KernelContext,
  series: Scratch,
): (Float64Array | null)[] {
  const counts = pass.passes.map((p) => (p === null ? null : new Float64Array(p.kind === "sum" ? 1 : histogramSize(p))));
  const n = pass.passes.length;
  for (let s = start; s < end; s += BLOCK) {
    const e = Math.min(end, s + BLOCK);
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) out.push(series.f32(i, e - s));
    kernel.stats!.values(params, pass.stage, pass.earlier, chunk, s, e, out, ctx);
    pass.passes.forEach((p, i) => {
      if (p === null) return;
      if (p.kind === "sum") counts[i]![0] += sumOf(out[i]!, e - s);
      else histogramInto(p, out[i]!, 0, e - s, counts[i]!);
    });
  }
  return counts;
}
