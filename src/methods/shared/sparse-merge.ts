/**
 * The merge step shared by the sparsifying methods (DARE, breadcrumbs, DELLA): given each task's
 * sparsified delta for a block, either the weighted sum (consensus "none"), or TIES's sign election
 * ("sum": sign of Σ wᵢ·δ̂ᵢ, "count": sign of Σ sign δ̂ᵢ, 0 → +1) and disjoint merge. With normalize,
 * the sum is divided by the weights that took part (all, or the agreeing ones; 0 → no division).
 * Result base + lambda·τ. Branch-free loops, parameters in Float64Arrays (see ties.ts); with a
 * consensus, on the WASM SIMD kernel of TIES when it loads.
 */
import type { Scratch } from "../../engine/kernels/scratch.js";
import { SIMD_TIES_MAX_INPUTS, type SimdKernels, TIES_FLAGS, simdKernels } from "../../wasm/simd-kernels.js";

export type Consensus = "none" | "sum" | "count";

export interface SparseMergeParams {
  weights: Float64Array;
  consensus: Consensus;
  normalize: boolean;
  lambda: number;
}

/**
 * out[s + k] for k in [0, len), from the block's sparsified deltas `kept[i][0..len)`; with a
 * consensus on the SIMD kernels when they load (`simd` null: JavaScript, the reference).
 */
export function sparseMergeBlock(
  kept: readonly Float32Array[],
  p: SparseMergeParams,
  base: Float32Array,
  out: Float32Array,
  s: number,
  len: number,
  scratch: Scratch,
  simd: SimdKernels | null = simdKernels(),
): void {
  if (simd && p.consensus !== "none" && kept.length <= SIMD_TIES_MAX_INPUTS) {
    // TIES's kernel on given deltas, keeping all (|x| ≥ 0), sums from 0 as below: equal bits.
    const flags = TIES_FLAGS.deltas | TIES_FLAGS.zeroStart | (p.consensus === "count" ? TIES_FLAGS.count : 0) | (p.normalize ? TIES_FLAGS.normalize : 0);
    simd.ties(kept, base.subarray(s, s + len), new Array<number>(kept.length).fill(0), p.weights, p.lambda, flags, out.subarray(s, s + len), len);
    return;
  }
  const n = kept.length;
  const w = p.weights;
  const num = scratch.f64(0, len).fill(0);
  const den = scratch.f64(1, len).fill(0);
  if (p.consensus === "none") {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = kept[i]!;
      const wi = w[i]!;
      total += wi;
      for (let k = 0; k < len; k++) num[k] += wi * x[k]!;
    }
    // As mergekit: a weight sum within 1e-8 of zero is not divided by.
    const scale = p.normalize && Math.abs(total) >= 1e-8 ? 1 / total : 1;
    for (let k = 0; k < len; k++) out[s + k] = base[s + k]! + p.lambda * (num[k]! * scale);
    return;
  }
  const vote = scratch.f64(2, len).fill(0);
  for (let i = 0; i < n; i++) {
    const x = kept[i]!;
    const wi = w[i]!;
    if (p.consensus === "count") for (let k = 0; k < len; k++) vote[k] += +(x[k]! > 0) - +(x[k]! < 0);
    else for (let k = 0; k < len; k++) vote[k] += wi * x[k]!;
  }
  for (let k = 0; k < len; k++) {
    const v = vote[k]!;
    vote[k] = v + +(v === 0); // a zero vote elects +1
  }
  for (let i = 0; i < n; i++) {
    const x = kept[i]!;
    const wi = w[i]!;
    for (let k = 0; k < len; k++) {
      const xk = x[k]!;
      const a = wi * +(xk * vote[k]! > 0);
      num[k] += a * xk;
      den[k] += a;
    }
  }
  for (let k = 0; k < len; k++) {
    const d = den[k]!;
    const tau = p.normalize ? num[k]! / (d + +(d === 0)) : num[k]!;
    out[s + k] = base[s + k]! + p.lambda * tau;
  }
}
