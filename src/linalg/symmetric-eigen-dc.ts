/**
 * The symmetric eigendecomposition with the divide-and-conquer tridiagonal solver: tred2's
 * Householder reduction (symmetric-eigen.ts), Cuppen's divide and conquer on the tridiagonal
 * (tridiagonal-dc.ts), then the back-transformation as matrix products: the reflectors are applied
 * to the tridiagonal's eigenvectors in blocks (compact WY, I − V·T·Vᵀ, as LAPACK's dormtr/dlarft)
 * instead of being accumulated first. tred2's accumulation is level-2 and memory-bound (3.6 s of
 * 6.8 s at 2048, profile in docs/spectral.md); the blocked application is three products per block.
 * Same result layout as symmetricEigenRows.
 */
import { jsLoops, reduceToTridiagonal, wasmLoops } from "./symmetric-eigen.js";
import { type FlatProduct, tridiagonalEigen } from "./tridiagonal-dc.js";

/** Reflectors per block of the back-transformation. */
export const WY_BLOCK = 64;

/** Eigenvalues d (unsorted) and eigenvectors as rows of w (row j belongs to d[j]) of symmetric a (n×n, row-major). */
export function symmetricEigenRowsDc(a: Float64Array, n: number, product: FlatProduct, cutoff?: number): { d: Float64Array; w: Float64Array } {
  if (n === 0) return { d: new Float64Array(0), w: new Float64Array(0) };
  const size = n * n + 2 * n;
  const loops = wasmLoops(size) ?? jsLoops(size);
  loops.m.set(a.subarray(0, n * n));
  reduceToTridiagonal(loops, n);
  const m = loops.m;
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = m[i * n + i]!;
  // tred2 leaves E[i] coupling i − 1 and i; the solver takes e[i] coupling i and i + 1.
  const off = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) off[i] = m[n * n + n + i + 1]!;
  const { values, q } = tridiagonalEigen(diag, off, n, product, cutoff);
  // x = Zᵀ: row j the eigenvector j of the tridiagonal, to become row j of (H_{n−1}···H_1·Z)ᵀ.
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) x[j * n + i] = q[i * n + j]!;
  applyReflectors(m, n, x, product);
  return { d: values, w: x };
}

/**
 * x ← x·H_1·H_2···H_{n−1} (H_m = I − u_m·u_mᵀ/h_m from reduceToTridiagonal, in m; x n×n), by blocks
 * H_a···H_b = I − V·T·Vᵀ (V = [u_a … u_b], T upper triangular: dlarft's forward recurrence), each
 * applied to the first b columns of x, the only ones it touches: x ← x − ((x·V)·T)·Vᵀ.
 */
function applyReflectors(m: Float64Array, n: number, x: Float64Array, product: FlatProduct): void {
  const h = m.subarray(n * n, n * n + n);
  for (let a = 1; a < n; a += WY_BLOCK) {
    const b = Math.min(n - 1, a + WY_BLOCK - 1);
    const k = b - a + 1;
    const r = b; // H_b acts on coordinates 0 … b − 1
    const vt = new Float64Array(k * r); // row c = u_{a+c}, zero beyond its length
    const tau = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const mm = a + c;
      const hm = h[mm]!;
      if (hm === 0) continue; // no reflection: u = 0 leaves the block as is
      tau[c] = 1 / hm;
      vt.set(m.subarray(mm * n, mm * n + mm), c * r);
    }
    const v = transposed(vt, k, r);
    const g = product(vt, k, r, v, k); // VᵀV, for T
    const t = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      t[j * k + j] = tau[j]!;
      // T[0…j−1, j] = −τ_j·T[0…j−1, 0…j−1]·(Vᵀ·v_j)[0…j−1]
      for (let i = 0; i < j; i++) {
        let s = 0;
        for (let l = i; l < j; l++) s += t[i * k + l]! * g[l * k + j]!;
        t[i * k + j] = -tau[j]! * s;
      }
    }
    const xr = new Float64Array(n * r);
    for (let i = 0; i < n; i++) xr.set(x.subarray(i * n, i * n + r), i * r);
    const update = product(product(product(xr, n, r, v, k), n, k, t, k), n, k, vt, r);
    for (let i = 0; i < n; i++) {
      const row = i * n;
      const up = i * r;
      for (let j = 0; j < r; j++) x[row + j] = x[row + j]! - update[up + j]!;
    }
  }
}

function transposed(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}
