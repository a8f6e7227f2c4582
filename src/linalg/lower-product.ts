/**
 * The lower triangle of a square product, strip by strip: rows [r0, r1) of a·b need only columns
 * [0, r1), so S strips of rows cost (S + 1)/(2S) of the whole product. The blocked reduction's
 * trailing update (it reads only the lower triangle) and the Gram matrix (symmetric) use it.
 */

/** a (m×k)·b (k×n) on flat row-major arrays of one precision. */
export type Product<M extends Float64Array | Float32Array> = (a: M, m: number, k: number, b: M, n: number) => M;

/** c ← c − a (m×k)·b (k×n), in place. */
export type ProductSubtract<M extends Float64Array | Float32Array> = (a: M, m: number, k: number, b: M, n: number, c: M) => void;

/** A ProductSubtract through a product and an elementwise subtraction. */
export function subtractVia<M extends Float64Array | Float32Array>(product: Product<M>): ProductSubtract<M> {
  return (a, m, k, b, n, c) => {
    const p = product(a, m, k, b, n);
    for (let i = 0; i < m * n; i++) c[i] = c[i]! - p[i]!;
  };
}

/** A zeroed array of `like`'s precision. */
export function alike<M extends Float64Array | Float32Array>(like: M, length: number): M {
  return (like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length)) as M;
}

/** Strips for an n×n result: one below 256, up to four from 1024 (each strip one product call). */
export function stripsFor(n: number): number {
  return n >= 1024 ? 4 : n >= 256 ? 2 : 1;
}

/**
 * c = a (n×k) · b (k×n) with c[i][j] exact for j < r1 of i's strip (so for every j ≤ i); the
 * entries above each strip's block are zero. Row i of c is the dot products of row i of a with the
 * columns of b, as in the full product.
 */
export function lowerProduct<M extends Float64Array | Float32Array>(product: Product<M>, a: M, n: number, k: number, b: M, strips = stripsFor(n)): M {
  if (Math.max(1, Math.min(strips, n)) === 1) return product(a, n, k, b, n);
  const c = alike(a, n * n);
  lowerProductStrips(product, a, n, k, b, (r0, r1, part) => {
    for (let i = r0; i < r1; i++) c.set(part.subarray((i - r0) * r1, (i - r0 + 1) * r1), i * n);
  }, strips);
  return c;
}

/**
 * lowerProduct one strip at a time, without the n×n result: `each(r0, r1, part)` gets rows [r0, r1)
 * of a·b, columns [0, r1) (part is (r1 − r0)×r1). The reduction's trailing update subtracts each strip
 * straight from its matrix (an n² buffer per panel, zeroed and filled, cost 6.6 s of a 4096 `tsv` layer).
 */
export function lowerProductStrips<M extends Float64Array | Float32Array>(
  product: Product<M>,
  a: M,
  n: number,
  k: number,
  b: M,
  each: (r0: number, r1: number, part: M) => void,
  strips = stripsFor(n),
): void {
  const s = Math.max(1, Math.min(strips, n));
  for (let t = 0; t < s; t++) {
    const r0 = Math.floor((t * n) / s);
    const r1 = Math.floor(((t + 1) * n) / s);
    if (r1 <= r0) continue;
    let bl = b;
    if (r1 < n) {
      // b's first r1 columns, packed.
      bl = alike(b, k * r1);
      for (let p = 0; p < k; p++) bl.set(b.subarray(p * n, p * n + r1), p * r1);
    }
    each(r0, r1, product(a.subarray(r0 * k, r1 * k) as M, r1 - r0, k, bl, r1));
  }
}
