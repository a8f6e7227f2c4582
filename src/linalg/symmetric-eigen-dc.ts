/**
 * The symmetric eigendecomposition built on matrix products: blocked Householder tridiagonalisation
 * (tridiagonalize-blocked.ts, dsytrd-like), Cuppen's divide and conquer on the tridiagonal
 * (tridiagonal-dc.ts), then the back-transformation by blocks of reflectors (compact WY, as
 * LAPACK's dormtr). Where the reference path (tred2 + tql2) spends its time at 2048 — reduction
 * 3.2 s, accumulating the transform 3.6 s, QL 7.8 s, all memory-bound row operations — this path
 * spends it in products (docs/spectral.md). Same result layout as symmetricEigenRows.
 */
import { applyQ, tridiagonalizeBlocked } from "./tridiagonalize-blocked.js";
import { type FlatProduct, tridiagonalEigen } from "./tridiagonal-dc.js";

/** Eigenvalues d (unsorted) and eigenvectors as rows of w (row j belongs to d[j]) of symmetric a (n×n, row-major). */
export function symmetricEigenRowsDc(a: Float64Array, n: number, product: FlatProduct, cutoff?: number, block?: number): { d: Float64Array; w: Float64Array } {
  if (n === 0) return { d: new Float64Array(0), w: new Float64Array(0) };
  const t = tridiagonalizeBlocked(a, n, product);
  const { values, q } = tridiagonalEigen(t.d, t.e, n, product, cutoff);
  applyQ(t, n, q, product, block);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[j * n + i] = q[i * n + j]!;
  return { d: values, w };
}
