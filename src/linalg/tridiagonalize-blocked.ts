/**
 * Blocked Householder tridiagonalisation (LAPACK's dsytrd with dlatrd's panel, lower variant) on a
 * full symmetric row-major matrix. tred2 updates the whole trailing matrix after every column
 * (a rank-2 update: one more read and write of it per column, memory-bound); here a panel of
 * TRD_BLOCK columns only collects its reflectors v and update vectors w, correcting each column and
 * each matrix–vector product for the updates not yet applied, and the trailing matrix is updated
 * once per panel, A ← A − V·Wᵀ − W·Vᵀ, as one matrix product. What stays per column is the product
 * A·v over the trailing matrix, read once from its lower triangle, the only one kept up to date
 * (eigen-kernels.wat's `symrow`: each row gives one dot product and one axpy in a single pass, half
 * the memory of full rows).
 *
 * The trailing products go to the product the caller passes: float64 keeps the tridiagonal (and so
 * the eigenvalues) float64-accurate; float32 ones perturb it by about ε₃₂·‖A‖, the size of the
 * float32 errors already in a Gram matrix formed by float32 products. With float32 products the
 * matrix itself is kept in float32 (tridiagonalizeBlocked32): the row passes read half the memory
 * and the products' operands and results need no conversion (docs/spectral.md has the figures).
 */
import { type PanelLoops, float32Loops, jsLoops, wasmLoops } from "./symmetric-eigen.js";
import { type Product, type ProductSubtract, alike, lowerProductStrips, subtractVia } from "./lower-product.js";
import { type RowThread, rowThread } from "./row-thread.js";
import { type ColumnProduct, SPLIT_ROWS_MIN, matvecRows, splitRow } from "./symmetric-matvec.js";
import type { FlatProduct } from "./tridiagonal-dc.js";

export type { Product } from "./lower-product.js";

/** Columns per panel. */
export const TRD_BLOCK = 32;

/** A = Q·T·Qᵀ, Q = H_0·H_1···H_{n−2}, H_j = I − τ_j·v_j·v_jᵀ with v_j zero before j + 1 and v_j[j + 1] = 1. */
export interface Tridiagonal {
  d: Float64Array;
  /** e[j] couples j and j + 1 */
  e: Float64Array;
  /** row j = v_j (n×n; rows n − 2, n − 1 unused where τ = 0) */
  v: Float64Array;
  tau: Float64Array;
}

/** Module memory: the matrix, then the panel's V and W (row c = column c of LAPACK's V, W), then 2n of scratch (Y). */
function panelSize(n: number, nb: number): number {
  return n * n + 2 * nb * n + 2 * n;
}

export function tridiagonalizeBlocked(a: Float64Array, n: number, product: FlatProduct, block = TRD_BLOCK): Tridiagonal {
  const size = panelSize(n, Math.max(1, block));
  return reduce(wasmLoops(size) ?? jsLoops(size), a, n, product, Math.max(1, block));
}

/** tridiagonalizeBlocked with the matrix, the panels and the products in float32. */
export function tridiagonalizeBlocked32(a: Float64Array, n: number, product: Product<Float32Array>, block = TRD_BLOCK): Tridiagonal {
  return reduce(float32Loops(panelSize(n, Math.max(1, block))), a, n, product, Math.max(1, block));
}

function reduce<M extends Float64Array | Float32Array>(loops: PanelLoops<M>, a: Float64Array, n: number, product: Product<M>, nb: number): Tridiagonal {
  const row = rowThread();
  const shared = loops.wasm !== undefined && row !== null && n > SPLIT_ROWS_MIN + 1 && row.attach({ wasm: loops.wasm, size: loops.m.length });
  try {
    return reduceWith(loops, a, n, product, nb, shared ? row : null);
  } finally {
    if (shared) row.detach();
  }
}

function reduceWith<M extends Float64Array | Float32Array>(
  loops: PanelLoops<M>,
  a: Float64Array,
  n: number,
  product: Product<M>,
  nb: number,
  rows: RowThread | null,
): Tridiagonal {
  let helper = rows;
  const A = 0;
  const V = n * n;
  const W = V + nb * n;
  const Y = W + nb * n;
  const m = loops.m;
  m.set(a.subarray(0, n * n));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const vOut = new Float64Array(n * n);
  const tau = new Float64Array(n);
  const coef = new Float64Array(2 * nb);
  for (let j0 = 0; j0 < n; j0 += nb) {
    const j1 = Math.min(n, j0 + nb);
    m.fill(0, V, Y);
    for (let j = j0; j < j1; j++) {
      const c = j - j0;
      const row = A + j * n;
      // Column j (kept in the lower triangle: the trailing updates skip the upper one) is copied
      // into row j, where it gets the panel's earlier updates, from the diagonal on.
      for (let i = j + 1; i < n; i++) m[row + i] = m[A + i * n + j]!;
      for (let p = 0; p < c; p++) {
        const wj = m[W + p * n + j]!;
        const vj = m[V + p * n + j]!;
        if (wj !== 0) loops.axpy(row + j, V + p * n + j, n - j, wj);
        if (vj !== 0) loops.axpy(row + j, W + p * n + j, n - j, vj);
      }
      d[j] = m[row + j]!;
      if (j === n - 1) break;
      // The reflector that zeroes A[j + 2 …, j] (dlarfg).
      const alpha = m[row + j + 1]!;
      const sigma = j + 2 < n ? loops.dot(row + j + 2, row + j + 2, n - j - 2) : 0;
      if (sigma === 0) {
        e[j] = alpha;
        continue; // τ = 0: V and W rows stay zero
      }
      const beta = alpha > 0 ? -Math.sqrt(alpha * alpha + sigma) : Math.sqrt(alpha * alpha + sigma);
      const t = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      e[j] = beta;
      tau[j] = t;
      const vc = V + c * n;
      m[vc + j + 1] = 1;
      for (let i = j + 2; i < n; i++) m[vc + i] = m[row + i]! * scale;
      vOut.set(m.subarray(vc, vc + n), j * n);
      // w = τ·(A·v − V·(Wᵀv) − W·(Vᵀv)) over rows j + 1 …, A the trailing matrix before this panel's updates.
      const len = n - j - 1;
      const wc = W + c * n;
      // A·v from the lower triangle, one pass per row: w_i = A[i, j+1…i]·v, and w[j+1…i−1] += A[i, j+1…i−1]·v_i.
      // A long column is cut (symmetric-matvec.ts): its long rows scatter into Y, on the row thread
      // when it is attached, and Y is added to w after.
      const column: ColumnProduct = { a: A, n, j, v: vc, w: wc, into: wc };
      if (len >= SPLIT_ROWS_MIN) {
        const s = splitRow(j, n);
        const far: ColumnProduct = { ...column, into: Y };
        m.fill(0, Y + j + 1, Y + n);
        helper?.begin(far, s, n);
        matvecRows(loops, column, j + 1, s);
        if (helper !== null && !helper.end()) {
          helper = null; // it failed part-way: its rows start again from zero here
          m.fill(0, wc + s, wc + n);
          m.fill(0, Y + j + 1, Y + n);
        }
        if (helper === null) matvecRows(loops, far, s, n);
        loops.axpy(wc + j + 1, Y + j + 1, len, -1);
      } else matvecRows(loops, column, j + 1, n);
      for (let p = 0; p < c; p++) {
        coef[p] = loops.dot(W + p * n + j + 1, vc + j + 1, len);
        coef[nb + p] = loops.dot(V + p * n + j + 1, vc + j + 1, len);
      }
      for (let p = 0; p < c; p++) {
        loops.axpy(wc + j + 1, V + p * n + j + 1, len, coef[p]!);
        loops.axpy(wc + j + 1, W + p * n + j + 1, len, coef[nb + p]!);
      }
      for (let i = j + 1; i < n; i++) m[wc + i] = t * m[wc + i]!;
      // w ← w − (τ/2)·(wᵀv)·v makes the two-sided update A − v·wᵀ − w·vᵀ.
      const half = 0.5 * t * loops.dot(wc + j + 1, vc + j + 1, len);
      loops.axpy(wc + j + 1, vc + j + 1, len, half);
    }
    // The trailing matrix A[j1 …, j1 …] −= V·Wᵀ + W·Vᵀ, one product [V W]·[W V]ᵀ, its lower
    // triangle only (by strips of rows; entries above a strip's block stay stale, never read).
    const rest = n - j1;
    if (rest <= 0) continue;
    const k = j1 - j0;
    const left = alike(m, rest * 2 * k);
    const right = alike(m, 2 * k * rest);
    for (let p = 0; p < k; p++) {
      for (let i = 0; i < rest; i++) {
        const vi = m[V + p * n + j1 + i]!;
        const wi = m[W + p * n + j1 + i]!;
        left[i * 2 * k + p] = vi;
        left[i * 2 * k + k + p] = wi;
      }
      right.set(m.subarray(W + p * n + j1, W + p * n + n), p * rest);
      right.set(m.subarray(V + p * n + j1, V + p * n + n), (k + p) * rest);
    }
    // Row by row through the scratch at Y and the SIMD axpy (y − 1·x = y − x exactly): a JavaScript
    // loop over the elements took 6 s of a 4096 `tsv` layer.
    lowerProductStrips(product, left, rest, 2 * k, right, (r0, r1, update) => {
      for (let i = r0; i < r1; i++) {
        const up = (i - r0) * r1;
        m.set(update.subarray(up, up + i + 1), Y);
        loops.axpy(A + (j1 + i) * n + j1, Y, i + 1, 1);
      }
    });
  }
  return { d, e, v: vOut, tau };
}

/** Reflectors per block of the back-transformation (bench: 64, 128, 256 at 2048 — see docs/spectral.md). */
export const WY_BLOCK = 128;

/** From this order, blocks of 2·WY_BLOCK: at 4096, 6.3 s against 8–9 s with 128 (float32, all vectors). */
export const WY_WIDE_FROM = 3072;

/** The back-transformation's block for order n. */
export function wyBlock(n: number): number {
  return n >= WY_WIDE_FROM ? 2 * WY_BLOCK : WY_BLOCK;
}

/**
 * z ← Q·z = H_0···H_{n−2}·z for the reflectors of tridiagonalizeBlocked (z n×cols row-major:
 * columns become eigenvectors of A when they come in as those of T; only the wanted ones need
 * come), by blocks H_a···H_b = I − V·T·Vᵀ (dlarft's forward recurrence), last block first:
 * z ← z − V·(T·(Vᵀ·z)) on the rows a + 1 … it touches, a contiguous tail of z, so no gathering.
 * `subtract` does the last step in place (matMulSubtractFloat32: no r×cols temporary per block).
 */
export function applyQ<M extends Float64Array | Float32Array>(
  t: Tridiagonal,
  n: number,
  z: M,
  cols: number,
  product: Product<M>,
  block = wyBlock(n),
  subtract: ProductSubtract<M> = subtractVia(product),
): void {
  const starts: number[] = [];
  for (let a = 0; a < n - 1; a += block) starts.push(a);
  for (const a of starts.reverse()) {
    const b = Math.min(n - 2, a + block - 1);
    const k = b - a + 1;
    const c0 = a + 1;
    const r = n - c0;
    const vt = alike(z, k * r); // row c = v_{a+c} on coordinates c0 …
    for (let c = 0; c < k; c++) vt.set(t.v.subarray((a + c) * n + c0, (a + c + 1) * n), c * r);
    const v = alike(z, r * k);
    for (let c = 0; c < k; c++) for (let i = 0; i < r; i++) v[i * k + c] = vt[c * r + i]!;
    const g = product(vt, k, r, v, k);
    // T upper triangular: T[j][j] = τ_j, T[0…j−1, j] = −τ_j·T[0…j−1, 0…j−1]·G[0…j−1, j] (in float64).
    const tt = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      const tj = t.tau[a + j]!;
      tt[j * k + j] = tj;
      for (let i = 0; i < j; i++) {
        let s = 0;
        for (let l = i; l < j; l++) s += tt[i * k + l]! * g[l * k + j]!;
        tt[i * k + j] = -tj * s;
      }
    }
    const tm = alike(z, k * k);
    tm.set(tt);
    const tail = z.subarray(c0 * cols, n * cols) as M;
    subtract(v, r, k, product(tm, k, k, product(vt, k, r, tail, cols), cols), cols, tail);
  }
}
