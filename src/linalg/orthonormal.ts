/**
 * An orthonormal basis of a tall matrix's range, for the randomized SVD's range finder. Cholesky QR
 * twice (CholeskyQR2: two Gram products and two small triangular factorizations, so nearly all the
 * work is matrix products) when the Gram matrix is comfortably positive definite; otherwise the
 * Gram matrix's eigendecomposition, which drops the directions the matrix does not span.
 */
import { symmetricEigen } from "./eigen.js";
import { type Matrix, scaleColumns, zeros } from "./matrix.js";
import { gramOf, multiply } from "./matmul.js";

/** Upper-triangular R with RᵀR = g, or null when a pivot is not safely positive. */
export function cholesky(g: Matrix, tolerance: number): Matrix | null {
  const n = g.rows;
  const r = zeros(n, n);
  const rd = r.data;
  for (let j = 0; j < n; j++) {
    let d = g.data[j * n + j]!;
    for (let k = 0; k < j; k++) d -= rd[k * n + j]! ** 2;
    if (!(d > tolerance)) return null;
    const pivot = Math.sqrt(d);
    rd[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let x = g.data[j * n + i]!;
      for (let k = 0; k < j; k++) x -= rd[k * n + j]! * rd[k * n + i]!;
      rd[j * n + i] = x / pivot;
    }
  }
  return r;
}

/** The inverse of an upper-triangular matrix. */
export function invertUpper(r: Matrix): Matrix {
  const n = r.rows;
  const inv = zeros(n, n);
  const x = inv.data;
  for (let j = 0; j < n; j++) {
    x[j * n + j] = 1 / r.data[j * n + j]!;
    for (let i = j - 1; i >= 0; i--) {
      let s = 0;
      for (let k = i + 1; k <= j; k++) s += r.data[i * n + k]! * x[k * n + j]!;
      x[i * n + j] = -s / r.data[i * n + i]!;
    }
  }
  return inv;
}

/** One Cholesky QR step: y·R⁻¹, or null when the Gram matrix is too close to singular. */
function choleskyStep(y: Matrix): Matrix | null {
  const g = gramOf(y);
  let trace = 0;
  for (let i = 0; i < g.rows; i++) trace += g.data[i * g.cols + i]!;
  // Below this a pivot is mostly rounding error of the (float32) Gram product.
  const r = cholesky(g, 1e-5 * (trace / Math.max(1, g.rows)));
  return r ? multiply(y, invertUpper(r)) : null;
}

/** Orthonormal columns spanning y's range, through the Gram matrix's eigenvectors (drops null directions). */
function eigenBasis(y: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(gramOf(y));
  const floor = 1e-10 * Math.max(values[0] ?? 0, 0);
  let kept = 0;
  while (kept < values.length && values[kept]! > floor && values[kept]! > 0) kept++;
  const w = zeros(vectors.rows, kept);
  for (let i = 0; i < vectors.rows; i++) for (let j = 0; j < kept; j++) w.data[i * kept + j] = vectors.data[i * vectors.cols + j]!;
  return scaleColumns(multiply(y, w), Float64Array.from({ length: kept }, (_, j) => 1 / Math.sqrt(values[j]!)));
}

/** An orthonormal basis of y's range (at most y.cols columns; fewer when y is rank-deficient). */
export function orthonormalBasis(y: Matrix): Matrix {
  const once = choleskyStep(y);
  const twice = once ? choleskyStep(once) : null;
  if (twice) return twice;
  // The eigenvector basis is orthonormal only up to the Gram product's rounding: refine it once.
  const basis = eigenBasis(y);
  return choleskyStep(basis) ?? basis;
}

/**
 * x·(3I − xᵀx)/2, one Newton–Schulz step towards orthonormal columns: squares the defect ‖xᵀx − I‖
 * (a Gram SVD's non-eigenvector side, orthonormal to about ε·σ₁²/σₖ²) for a Gram and a product.
 */
export function newtonSchulzStep(x: Matrix): Matrix {
  const g = gramOf(x);
  const n = g.rows;
  for (let i = 0; i < g.data.length; i++) g.data[i] = -0.5 * g.data[i]!;
  for (let i = 0; i < n; i++) g.data[i * n + i] += 1.5;
  return multiply(x, g);
}
