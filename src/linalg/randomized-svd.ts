/**
 * The randomized truncated SVD of Halko, Martinsson and Tropp (SIAM Review 2011, algorithms 4.4 and
 * 5.1): a Gaussian test matrix Ω (rank + oversample columns), the range finder Q = orth(a·Ω), q power
 * iterations re-orthonormalised at every half step (Q = orth(a·orth(aᵀ·Q))), then the exact SVD of
 * the small B = Qᵀ·a through its Gram matrix. Expected error (their theorem 10.6, q = 0):
 * E‖a − U·Σ·Vᵀ‖ ≤ (1 + √(k/(p−1)))·σ_{k+1} + e·√(k+p)/p·(Σ_{j>k} σⱼ²)^½; each power iteration sharpens
 * the spectral factor to its 2q+1-th root. All the work of a's size is matrix products.
 */
import { Random } from "../util/random.js";
import { type Svd, symmetricEigen } from "./eigen.js";
import { type Matrix, scaleColumns, zeros } from "./matrix.js";
import { multiply } from "./matmul.js";
import { orthonormalBasis } from "./orthonormal.js";

export interface RandomizedOptions {
  /** Extra test vectors beyond the rank (Halko et al.'s p). */
  oversample?: number;
  /** Power iterations (q). */
  powerIterations?: number;
  seed?: number;
}

export const DEFAULT_OVERSAMPLE = 10;
export const DEFAULT_POWER_ITERATIONS = 2;

export function randomizedSvd(a: Matrix, rank: number, opts: RandomizedOptions = {}): Svd {
  const r = Math.min(a.rows, a.cols);
  const k = Math.min(rank, r);
  const l = Math.min(r, k + (opts.oversample ?? DEFAULT_OVERSAMPLE));
  const rng = new Random(opts.seed ?? 0x5eed);
  const omega = zeros(a.cols, l);
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = rng.normal();
  let q = orthonormalBasis(multiply(a, omega));
  for (let it = 0; it < (opts.powerIterations ?? DEFAULT_POWER_ITERATIONS); it++) {
    q = orthonormalBasis(multiply(a, orthonormalBasis(multiply(a, q, true, false))));
  }
  // B = Qᵀa (l × n); B·Bᵀ = W·Λ·Wᵀ gives U = Q·W, σ = √λ, V = Bᵀ·W·Σ⁻¹.
  const b = multiply(q, a, true, false);
  const { values, vectors: w } = symmetricEigen(multiply(b, b, false, true));
  const kept = Math.min(k, values.length);
  const wk = zeros(w.rows, kept);
  for (let i = 0; i < w.rows; i++) for (let j = 0; j < kept; j++) wk.data[i * kept + j] = w.data[i * w.cols + j]!;
  const s = Float64Array.from({ length: kept }, (_, j) => Math.sqrt(Math.max(0, values[j]!)));
  const inv = Float64Array.from(s, (x) => (x > 0 ? 1 / x : 0));
  return { u: multiply(q, wk), s, v: scaleColumns(multiply(b, wk, true, false), inv) };
}
