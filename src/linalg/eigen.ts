/**
 * Small dense factorizations in float64 by ml-matrix (a maintained pure-JavaScript port of JAMA's
 * Householder tridiagonalisation + QL and Golub–Kahan SVD): the symmetric eigendecomposition of
 * Gram matrices and the exact SVD of small matrices.
 */
import { EigenvalueDecomposition, Matrix as MlMatrix, SingularValueDecomposition } from "ml-matrix";
import type { Matrix } from "./matrix.js";

/** A thin SVD a = U·diag(s)·Vᵀ: U rows×r, V cols×r, s descending, r = min(rows, cols) or the rank kept. */
export interface Svd {
  u: Matrix;
  s: Float64Array;
  v: Matrix;
}

function toMl(a: Matrix): MlMatrix {
  const out = new MlMatrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.set(i, j, a.data[i * a.cols + j]!);
  return out;
}

/** Columns `order` of an ml-matrix matrix, as ours. */
function pick(m: MlMatrix, order: readonly number[]): Matrix {
  const rows = m.rows;
  const cols = order.length;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = m.getRow(i);
    for (let j = 0; j < cols; j++) data[i * cols + j] = row[order[j]!]!;
  }
  return { rows, cols, data };
}

/** Eigenvalues (descending) and eigenvectors (columns) of a symmetric matrix. */
export function symmetricEigen(g: Matrix): { values: Float64Array; vectors: Matrix } {
  const e = new EigenvalueDecomposition(toMl(g), { assumeSymmetric: true });
  const values = e.realEigenvalues;
  const order = values.map((_, i) => i).sort((x, y) => values[y]! - values[x]!);
  return { values: Float64Array.from(order, (i) => values[i]!), vectors: pick(e.eigenvectorMatrix, order) };
}

/** The exact thin SVD (Golub–Kahan), singular values descending. */
export function exactSvd(a: Matrix): Svd {
  if (a.rows === 0 || a.cols === 0) return { u: { rows: a.rows, cols: 0, data: new Float64Array(0) }, s: new Float64Array(0), v: { rows: a.cols, cols: 0, data: new Float64Array(0) } };
  const d = new SingularValueDecomposition(toMl(a), { autoTranspose: true });
  const s = d.diagonal;
  const r = Math.min(a.rows, a.cols);
  const order = s.map((_, i) => i).sort((x, y) => s[y]! - s[x]!).slice(0, r);
  return { u: pick(d.leftSingularVectors, order), s: Float64Array.from(order, (i) => s[i]!), v: pick(d.rightSingularVectors, order) };
}
