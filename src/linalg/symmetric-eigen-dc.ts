/**
 * The symmetric eigendecomposition with the divide-and-conquer tridiagonal solver: tred2's
 * Householder tridiagonalisation (symmetric-eigen.ts, accumulated transform W), Cuppen's divide and
 * conquer on the tridiagonal (tridiagonal-dc.ts), then the back-transformation as one product,
 * eigenvectors (rows) = Qᵀ·W. Same result layout as symmetricEigenRows.
 */
import { jsLoops, tridiagonalize, wasmLoops } from "./symmetric-eigen.js";
import { type FlatProduct, tridiagonalEigen } from "./tridiagonal-dc.js";

/** Eigenvalues d (unsorted) and eigenvectors as rows of w (row j belongs to d[j]) of symmetric a (n×n, row-major). */
export function symmetricEigenRowsDc(a: Float64Array, n: number, product: FlatProduct, cutoff?: number): { d: Float64Array; w: Float64Array } {
  if (n === 0) return { d: new Float64Array(0), w: new Float64Array(0) };
  const size = n * n + 2 * n;
  const loops = wasmLoops(size) ?? jsLoops(size);
  loops.m.set(a.subarray(0, n * n));
  tridiagonalize(loops, n);
  const m = loops.m;
  const diag = m.slice(n * n, n * n + n);
  // tred2 leaves E[i] coupling i − 1 and i; the solver takes e[i] coupling i and i + 1.
  const off = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) off[i] = m[n * n + n + i + 1]!;
  const { values, q } = tridiagonalEigen(diag, off, n, product, cutoff);
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[j * n + i] = q[i * n + j]!;
  return { d: values, w: product(qt, n, n, m.slice(0, n * n), n) };
}
