/**
 * The work of the element ranges a thread claims, the same on the main thread and in workers: a
 * kernel's `apply`, the counts of a statistics pass, widening stored 16-bit inputs, encoding an
 * output. Inputs still in their stored form are widened range by range just before their first use
 * (ranges that carry widenings are whole segments, see decode.ts).
 */
import type { HalfDType } from "../../io/index.js";
import type { AnyMethodKernel, ChunkInputs, KernelContext } from "../../methods/method.js";
import { BLOCK } from "../kernels/elementwise.js";
import { histogramDeltasInto, histogramInto, histogramSize } from "../kernels/order-statistics.js";
import { simdKernels } from "../../wasm/simd-kernels.js";
import type { Scratch } from "../kernels/scratch.js";
import { type PassInfo, sumOf } from "../stats-runner.js";
import { type ClaimRef, forEachClaim } from "./claims.js";
import { type PendingDecode, decodeRange, encodeSegment } from "./decode.js";
import type { HistogramBuffers, HistogramPart } from "./histogram-parts.js";

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
 * `apply` over every range this thread claims, rounding each range of `out` to 16 bits in place
 * right after when `encode` is given (ranges are then whole segments); returns the elements covered.
 */
export function applyClaims(
  kernel: AnyMethodKernel,
  params: unknown,
  stats: unknown,
  chunk: ChunkInputs,
  out: Float32Array,
  decodes: readonly PendingDecode[],
  encode: HalfDType | null,
  claims: ClaimRef,
  ctx: KernelContext,
): number {
  return forEachClaim(claims, (start, end) => {
    decodeRange(decodes, start, end);
    applyRange(kernel, params, stats, chunk, out, start, end, ctx);
    if (encode) encodeSegment(encode, out, start);
  });
}

/** What one thread counted in a statistics pass: a histogram part per histogram series (else null). */
export interface Counts {
  counts: (HistogramPart | null)[];
  /** Per series, the keys the pass keeps (else null). */
  kept: (Uint32Array | null)[];
  elements: number;
}

/**
 * One statistics pass over the ranges this thread claims (multiples of BLOCK), block by block:
 * histograms of its own, and for series that sum, each block's sum at sums[block · series + i] so
 * that the main thread adds them in block order (the same grouping as one thread).
 */
export function countClaims(
  kernel: AnyMethodKernel,
  params: unknown,
  pass: PassInfo,
  chunk: ChunkInputs,
  decodes: readonly PendingDecode[],
  claims: ClaimRef,
  ctx: KernelContext,
  series: Scratch,
  hists: HistogramBuffers,
  sums: Float64Array | null,
): Counts {
  const n = pass.passes.length;
  const sizes = pass.passes.map((p) => (p === null || p.kind === "sum" ? 0 : histogramSize(p)));
  const targets = sizes.map((size, i) => (size === 0 ? null : hists.zeroed(i, size)));
  const keeping = pass.passes.map((p, i) => (p?.kind === "high" && p.keep ? hists.keys(i) : undefined));
  const simd = simdKernels();
  const deltas = simd && chunk.base && kernel.stats!.deltaStage?.(params, pass.stage) ? chunk.base : null;
  const elements = forEachClaim(claims, (start, end) => {
    for (let s = start; s < end; s += BLOCK) {
      const e = Math.min(end, s + BLOCK);
      decodeRange(decodes, s, e);
      let out: Float32Array[] | null = null;
      const values = (): Float32Array[] => {
        if (out) return out;
        out = [];
        for (let i = 0; i < n; i++) out.push(series.f32(i, e - s));
        kernel.stats!.values(params, pass.stage, pass.earlier, chunk, s, e, out, ctx);
        return out;
      };
      for (let i = 0; i < n; i++) {
        const p = pass.passes[i]!;
        if (p === null) continue;
        if (p.kind === "sum") sums![(s / BLOCK) * n + i] = sumOf(values()[i]!, e - s);
        else if (deltas && p.kind === "high") histogramDeltasInto(simd!, p, chunk.inputs[i]!, deltas, s, e, targets[i]!, keeping[i]);
        else histogramInto(p, values()[i]!, 0, e - s, targets[i]!, keeping[i]);
      }
    }
  });
  return {
    counts: sizes.map((size, i) => (size === 0 ? null : hists.take(i, size))),
    kept: keeping.map((k) => (k ? k.take() : null)),
    elements,
  };
}

export function decodeClaims(decodes: readonly PendingDecode[], claims: ClaimRef): number {
  return forEachClaim(claims, (start, end) => decodeRange(decodes, start, end));
}

/** Rounds the claimed segments (claims of SEGMENT elements) of `buf` to 16 bits in place. */
export function encodeClaims(dtype: HalfDType, buf: Float32Array, claims: ClaimRef): number {
  return forEachClaim(claims, (start) => encodeSegment(dtype, buf, start));
}
