/**
 * The orthogonal polar factor U·Vᵀ of a = U·Σ·Vᵀ: the nearest matrix with orthonormal columns (rows,
 * for a wide matrix), how TSV-Merge and Iso-CTS decorrelate their concatenated singular vectors.
 * Directions a does not span (σ = 0) are left out, so the factor of [A 0] is [polar(A) 0].
 */
import { type Matrix, scaleColumns } from "./matrix.js";
import { multiply } from "./matmul.js";
import type { Svd } from "./eigen.js";
import { type SvdMode, fullSvd } from "./svd.js";

export function polarFactor(a: Matrix, mode: SvdMode = "auto"): Matrix {
  return polarOf(fullSvd(a, mode));
}

/** U·Vᵀ of an SVD already at hand. */
export function polarOf({ u, s, v }: Svd): Matrix {
  const floor = 1e-10 * (s[0] ?? 0);
  const keep = Float64Array.from(s, (x) => (x > floor ? 1 : 0));
  return multiply(scaleColumns(u, keep), v, false, true);
}
