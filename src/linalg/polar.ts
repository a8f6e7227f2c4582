/**
 * The orthogonal polar factor U·Vᵀ of a = U·Σ·Vᵀ: the nearest matrix with orthonormal columns (rows,
 * for a wide matrix), how TSV-Merge and Iso-CTS decorrelate their concatenated singular vectors and
 * Iso-C flattens a spectrum. Directions a does not span (σ = 0) are left out, so the factor of
 * [A 0] is [polar(A) 0].
 */
import { type Svd, symmetricEigen } from "./eigen.js";
import { GRAM_FLOOR } from "./gram-svd.js";
import { type Matrix, scaleColumns, transpose } from "./matrix.js";
import { gramOf, multiply } from "./matmul.js";
import { EXACT_LIMIT, type SvdMode, fullSvd } from "./svd.js";

export function polarFactor(a: Matrix, mode: SvdMode = "auto"): Matrix {
  return polarAndSpectrum(a, mode).polar;
}

/**
 * The polar factor and a's singular values (descending; 0 where the Gram path drops a direction).
 * Beyond EXACT_LIMIT (`auto`) it is a·(aᵀa)^(−½) with aᵀa = V·Λ·Vᵀ, the Gram SVD's U·Vᵀ without
 * forming U: the middle factor V·Σ⁻¹·Vᵀ = B·Bᵀ (B = V·Σ^(−½)) is itself a Gram matrix, a
 * lower-triangle product, so the factor costs ⅝ + 1 products of the short side after the
 * eigendecomposition instead of 2.
 */
export function polarAndSpectrum(a: Matrix, mode: SvdMode = "auto"): { polar: Matrix; s: Float64Array } {
  if (mode === "exact" || Math.min(a.rows, a.cols) <= EXACT_LIMIT) {
    const d = fullSvd(a, mode);
    return { polar: polarOf(d), s: d.s };
  }
  const wide = a.cols > a.rows;
  const x = wide ? transpose(a) : a;
  const { values, vectors } = symmetricEigen(gramOf(x));
  const s = Float64Array.from(values, (l) => Math.sqrt(Math.max(0, l)));
  const cut = GRAM_FLOOR * (s[0] ?? 0);
  const root = Float64Array.from(s, (x) => (x > cut && x > 0 ? 1 / Math.sqrt(x) : 0));
  for (let i = 0; i < s.length; i++) if (root[i] === 0) s[i] = 0;
  const p = multiply(x, gramOf(transpose(scaleColumns(vectors, root))));
  return { polar: wide ? transpose(p) : p, s };
}

/** U·Vᵀ of an SVD already at hand. */
export function polarOf({ u, s, v }: Svd): Matrix {
  const floor = 1e-10 * (s[0] ?? 0);
  const keep = Float64Array.from(s, (x) => (x > floor ? 1 : 0));
  return multiply(scaleColumns(u, keep), v, false, true);
}
