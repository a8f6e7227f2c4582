/**
 * The merge step shared by the sparsifying methods (DARE, breadcrumbs, DELLA): given each task's
 * sparsified delta for a block, either the weighted sum (consensus "none"), or TIES's sign election
 * ("sum": sign of Σ wᵢ·δ̂ᵢ, "count": sign of Σ sign δ̂ᵢ, 0 → +1) and disjoint merge. With normalize,
 * the sum is divided by the weights that took part (all, or the agreeing ones; 0 → no division).
 * Result base + lambda·τ. Branch-free loops, parameters in Float64Arrays (see ties.ts); with a
 * consensus and the delta's own signs, on the WASM SIMD kernel of TIES when it loads.
 *
 * Which sign is compared with the elected one is `agreement`: the delta's (spec §6, "delta") or the
 * weighted delta's (mergekit, "weighted"). They differ only for negative weights: sign(wᵢ·δᵢ) is
 * sign(wᵢ)·sign(δᵢ), so the loops multiply each delta's sign by a per-model factor sᵢ = ±1.
 */
import type { Scratch } from "../../engine/kernels/scratch.js";
import type { ParamReader } from "../param-reader.js";
import { SIMD_TIES_MAX_INPUTS, type SimdKernels, TIES_FLAGS, simdKernels } from "../../wasm/simd-kernels.js";

export type Consensus = "none" | "sum" | "count";

export type Agreement = "delta" | "weighted";

export interface SparseMergeParams {
  weights: Float64Array;
  /** Per model, the factor of its delta's sign in the election and agreement (±1, see above). */
  signs: Float64Array;
  consensus: Consensus;
  normalize: boolean;
  lambda: number;
}

/** Reads `agreement` ("delta", the default, or "weighted"). */
export function readAgreement(r: ParamReader): Agreement {
  return r.string("agreement", ["delta", "weighted"] as const, "delta");
}

/** The sign factors sᵢ: −1 for a negative weight under "weighted" agreement, else 1. */
export function agreementSigns(weights: readonly number[], agreement: Agreement): Float64Array {
  return Float64Array.from(weights, (w) => (agreement === "weighted" && w < 0 ? -1 : 1));
}

/** The merge step's parameters from a method's parsed ones. */
export function sparseMergeParams(p: { weights: readonly number[]; agreement: Agreement; consensus: Consensus; normalize: boolean; lambda: number }): SparseMergeParams {
  return { weights: Float64Array.from(p.weights), signs: agreementSigns(p.weights, p.agreement), consensus: p.consensus, normalize: p.normalize, lambda: p.lambda };
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
  // The SIMD kernel compares the deltas' own signs: mergekit's weighted agreement with a negative weight stays in JavaScript.
  if (simd && p.consensus !== "none" && kept.length <= SIMD_TIES_MAX_INPUTS && p.signs.every((x) => x === 1)) {
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
    const si = p.signs[i]!;
    if (p.consensus === "count") for (let k = 0; k < len; k++) vote[k] += si * (+(x[k]! > 0) - +(x[k]! < 0));
    else for (let k = 0; k < len; k++) vote[k] += wi * x[k]!;
  }
  for (let k = 0; k < len; k++) {
    const v = vote[k]!;
    vote[k] = v + +(v === 0); // a zero vote elects +1
  }
  for (let i = 0; i < n; i++) {
    const x = kept[i]!;
    const wi = w[i]!;
    const si = p.signs[i]!;
    for (let k = 0; k < len; k++) {
      const xk = x[k]!;
      const a = wi * +(si * xk * vote[k]! > 0);
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
