/**
 * Dense factorizations: the symmetric eigendecomposition of Gram matrices (our flat-array tred2 +
 * tql2, symmetric-eigen.ts, in float64; or, for large matrices when the fast products run, blocked
 * tridiagonalisation + divide and conquer, symmetric-eigen-dc.ts, whose products are float32) and
 * the exact SVD of small matrices (ml-matrix's Golub–Kahan, a maintained pure-JavaScript port of JAMA).
 */
import type { Matrix as MlMatrix } from "ml-matrix";
import { lazyRequire } from "../util/lazy-require.js";
import { matMulFloat32, matMulSubtractFloat32, productFast, productFloat64, productKernel } from "./matmul.js";
import { symmetricEigenRows } from "./symmetric-eigen.js";
import { symmetricEigenDc } from "./symmetric-eigen-dc.js";
import type { Matrix } from "./matrix.js";

/** A thin SVD a = U·diag(s)·Vᵀ: U rows×r, V cols×r, s descending, r = min(rows, cols) or the rank kept. */
export interface Svd {
  u: Matrix;
  s: Float64Array;
  v: Matrix;
}

/** ml-matrix, loaded on first use (100 ms at start-up otherwise, in every engine thread). */
const ml = lazyRequire<typeof import("ml-matrix")>("ml-matrix");

function toMl(a: Matrix): MlMatrix {
  const out = new (ml().Matrix)(a.rows, a.cols);
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

/**
 * Which tridiagonal solver symmetricEigen uses: "ql" (tql2, the reference), "dc" (divide and
 * conquer, products through the active kernel) or "auto": divide and conquer from DC_MIN_SIZE when
 * the fast (TensorFlow.js) products run — with float64 JavaScript products it loses to QL.
 */
export type EigenSolver = "auto" | "dc" | "ql";

/** From this size "auto" takes divide and conquer (bench/linalg.ts). */
export const DC_MIN_SIZE = 768;

let solver: EigenSolver = "auto";

/** The solver symmetricEigen uses now. */
export function eigenSolver(): EigenSolver {
  return solver;
}

/** Forces a solver (benchmarks and tests); returns the previous one. */
export function setEigenSolver(s: EigenSolver): EigenSolver {
  const was = solver;
  solver = s;
  return was;
}

/**
 * Eigenvalues (all, descending) and the leading `count` eigenvectors (columns) of a symmetric
 * matrix (solver: setEigenSolver). Divide and conquer back-transforms only the vectors asked for.
 */
export function symmetricEigen(g: Matrix, count = g.rows): { values: Float64Array; vectors: Matrix } {
  const n = g.rows;
  const cols = Math.max(0, Math.min(n, count));
  const fast = productKernel() === "float32";
  const dc = solver === "dc" || (solver === "auto" && fast && n >= DC_MIN_SIZE);
  if (dc) {
    const { values, vectors } = symmetricEigenDc(g.data, n, fast ? productFast : productFloat64, { count: cols, ...(fast ? { float32: matMulFloat32, subtract32: matMulSubtractFloat32 } : {}) });
    return { values, vectors: { rows: n, cols, data: vectors } };
  }
  const { d, w } = symmetricEigenRows(g.data, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]!);
  // Vector `order[j]` (a row of w) becomes column j, tile by tile (see matrix.ts's transposeInto).
  const data = new Float64Array(n * cols);
  for (let j0 = 0; j0 < cols; j0 += 32) {
    const j1 = Math.min(cols, j0 + 32);
    for (let i0 = 0; i0 < n; i0 += 32) {
      const i1 = Math.min(n, i0 + 32);
      for (let j = j0; j < j1; j++) {
        const row = order[j]! * n;
        for (let i = i0; i < i1; i++) data[i * cols + j] = w[row + i]!;
      }
    }
  }
  return { values: Float64Array.from(order, (i) => d[i]!), vectors: { rows: n, cols, data } };
}

/** The exact thin SVD (Golub–Kahan), singular values descending. */
export function exactSvd(a: Matrix): Svd {
  if (a.rows === 0 || a.cols === 0) return { u: { rows: a.rows, cols: 0, data: new Float64Array(0) }, s: new Float64Array(0), v: { rows: a.cols, cols: 0, data: new Float64Array(0) } };
  const d = new (ml().SingularValueDecomposition)(toMl(a), { autoTranspose: true });
  const s = d.diagonal;
  const r = Math.min(a.rows, a.cols);
  const order = s.map((_, i) => i).sort((x, y) => s[y]! - s[x]!).slice(0, r);
  return { u: pick(d.leftSingularVectors, order), s: Float64Array.from(order, (i) => s[i]!), v: pick(d.rightSingularVectors, order) };
}
