/**
 * The blocked reduction's matrix–vector product w = A·v on the lower triangle (tridiagonalize-blocked.ts),
 * one row pass per row: w_i gets row i's dot product with v, and w[j+1 … i−1] += A[i, …]·v_i. It reads
 * the whole trailing lower triangle once per column, so it is bound by memory bandwidth (about half
 * of a 4096 eigendecomposition here), and two threads streaming together get 1.5–2.7× the bandwidth
 * of one. Long columns are therefore cut at `splitRow`: the short rows here, the long rows (half the
 * work) on the row thread (row-thread.ts), their scatter into a scratch vector that is added after.
 * Without the row thread the same cut is computed here in the same order, so the bits do not depend
 * on whether the thread runs.
 */
import type { PanelLoops } from "./symmetric-eigen.js";

/** Columns with fewer rows below the diagonal than this are not cut (the hand-over costs ~20 µs). */
export const SPLIT_ROWS_MIN = 512;

/** Where column j of an order-n matrix is cut: rows [j + 1, s) and [s, n) have about equal work. */
export function splitRow(j: number, n: number): number {
  const len = n - j - 1;
  return j + 1 + Math.round(len / Math.SQRT2);
}

/** Offsets into the loops' memory for one column's product (row i of A at a + i·n). */
export interface ColumnProduct {
  /** the matrix (row-major, order n) */
  a: number;
  n: number;
  /** the column: rows j + 1 … n − 1 take part */
  j: number;
  /** v, over the whole order (read from j + 1) */
  v: number;
  /** w, written at the rows computed */
  w: number;
  /** where the scatter A[i, …]·v_i goes: w itself, or the scratch added to w afterwards */
  into: number;
}

/** Rows [i0, i1) of column c's product. */
export function matvecRows<M extends Float64Array | Float32Array>(loops: PanelLoops<M>, c: ColumnProduct, i0: number, i1: number): void {
  const { m } = loops;
  const { a, n, j, v, w, into } = c;
  for (let i = i0; i < i1; i++) {
    const vi = m[v + i]!;
    const partial = loops.symrow(a + i * n + j + 1, v + j + 1, into + j + 1, i - j - 1, vi);
    m[w + i] = m[w + i]! + partial + m[a + i * n + i]! * vi;
  }
}
