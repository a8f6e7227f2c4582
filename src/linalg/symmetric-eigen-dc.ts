/**
 * The symmetric eigendecomposition built on matrix products: blocked Householder tridiagonalisation
 * (tridiagonalize-blocked.ts, dsytrd-like), Cuppen's divide and conquer on the tridiagonal
 * (tridiagonal-dc.ts), then the back-transformation by blocks of reflectors (compact WY, as
 * LAPACK's dormtr). Where the reference path (tred2 + tql2) spends its time at 2048 — reduction
 * 3.2 s, accumulating the transform 3.6 s, QL 7.8 s, all memory-bound row operations — this path
 * spends it in products (docs/spectral.md). With a float32 product the reduction and the
 * back-transformation keep their matrices in float32; only the eigenvectors asked for are
 * back-transformed (a Gram SVD keeping its leading third pays a third of that step).
 */
import { type Product, applyQ, tridiagonalizeBlocked, tridiagonalizeBlocked32 } from "./tridiagonalize-blocked.js";
import type { ProductSubtract } from "./lower-product.js";
import { type FlatProduct, tridiagonalEigen } from "./tridiagonal-dc.js";

export interface DcOptions {
  /** tridiagonal blocks up to this size go to QL (tridiagonal-dc.ts's DC_CUTOFF) */
  cutoff?: number;
  /** reflectors per back-transformation block (wyBlock(n)) */
  block?: number;
  /** the reduction and back-transformation in float32 with this product */
  float32?: Product<Float32Array>;
  /** the back-transformation's in-place c ← c − a·b with float32 (else float32's product, then a subtraction) */
  subtract32?: ProductSubtract<Float32Array>;
  /** eigenvectors wanted, the leading ones (all n) */
  count?: number;
}

/**
 * Eigenvalues (all n, descending) and the leading `count` eigenvectors of symmetric a (n×n,
 * row-major) as the columns of `vectors` (n×count row-major), column j belonging to values[j].
 */
export function symmetricEigenDc(a: Float64Array, n: number, product: FlatProduct, options: DcOptions = {}): { values: Float64Array; vectors: Float64Array } {
  const count = Math.max(0, Math.min(n, options.count ?? n));
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  const t = options.float32 ? tridiagonalizeBlocked32(a, n, options.float32) : tridiagonalizeBlocked(a, n, product);
  const { values, q } = tridiagonalEigen(t.d, t.e, n, product, options.cutoff);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => values[y]! - values[x]!);
  // The wanted columns of T's eigenvectors, in descending order, become A's in place.
  const pick = (z: Float64Array | Float32Array): void => {
    for (let i = 0; i < n; i++) for (let j = 0; j < count; j++) z[i * count + j] = q[i * n + order[j]!]!;
  };
  let vectors: Float64Array;
  if (options.float32) {
    // In shared memory, so that the product thread adds into its rows of z in place.
    const z = new Float32Array(new SharedArrayBuffer(4 * n * count));
    pick(z);
    applyQ(t, n, z, count, options.float32, options.block, options.subtract32);
    vectors = new Float64Array(z);
  } else {
    vectors = new Float64Array(n * count);
    pick(vectors);
    applyQ(t, n, vectors, count, product, options.block);
  }
  return { values: Float64Array.from(order, (i) => values[i]!), vectors };
}
