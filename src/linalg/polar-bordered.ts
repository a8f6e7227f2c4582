/**
 * The polar factor of [A B] when B's columns are orthonormal (Iso-CTS's right vectors: a few task
 * directions A beside the common subspace B), without decomposing a matrix of [A B]'s width.
 *
 * [A B]ᵀ[A B] = I + E with E = [[AᵀA − I, C], [Cᵀ, 0]], C = AᵀB, and E's range lies in the first
 * block plus range(Cᵀ). With Q an orthonormal basis of range(Cᵀ) and Z = diag(I, Q), E = Z·S·Zᵀ for
 * the small S = [[AᵀA − I, C·Q], [QᵀCᵀ, 0]] = W·Λ·Wᵀ, so (I + E)^(−½) = I + Z·W·(f − 1)·Wᵀ·Zᵀ with
 * f = (1 + λ)^(−½), and the factor is [A B] + ([A B]·Z·W)·(f − 1)·(Z·W)ᵀ: an eigendecomposition of
 * order ≤ 2·A.cols and products thin on one side. Directions whose singular value √(1 + λ) is below
 * GRAM_FLOOR of the largest are dropped (f = 0), as polarFactor's Gram path drops them.
 */
import { symmetricEigen } from "./eigen.js";
import { GRAM_FLOOR } from "./gram-svd.js";
import { type Matrix, hconcat, scaleColumns, transpose, zeros } from "./matrix.js";
import { gramOf, multiply } from "./matmul.js";
import { orthonormalBasis } from "./orthonormal.js";

export function polarBordered(a: Matrix, b: Matrix): Matrix {
  const s = a.cols;
  const k = b.cols;
  const c = multiply(a, b, true, false);
  const q = k > 0 && c.data.some((x) => x !== 0) ? orthonormalBasis(transpose(c)) : zeros(k, 0);
  const m = s + q.cols;
  // S = [[AᵀA − I, C·Q], [Qᵀ·Cᵀ, 0]].
  const ga = gramOf(a);
  const cq = multiply(c, q);
  const small = zeros(m, m);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j < s; j++) small.data[i * m + j] = ga.data[i * s + j]! - (i === j ? 1 : 0);
    for (let j = 0; j < q.cols; j++) {
      small.data[i * m + s + j] = cq.data[i * q.cols + j]!;
      small.data[(s + j) * m + i] = cq.data[i * q.cols + j]!;
    }
  }
  const { values, vectors: w } = symmetricEigen(small);
  // Singular values of [A B]: √(1 + λ) on Z's range, 1 on the rest of B's span (when Q does not fill it).
  const largest = Math.sqrt(Math.max(1 + (values[0] ?? -1), q.cols < k ? 1 : 0, 0));
  const cut = GRAM_FLOOR * largest;
  const shift = Float64Array.from(values, (l) => {
    const sigma = Math.sqrt(Math.max(0, 1 + l));
    return (sigma > cut && sigma > 0 ? 1 / sigma : 0) - 1;
  });
  const whole = hconcat([a, b]);
  if (m === 0) return whole;
  // Z·W: W's first s rows, then Q times the rest.
  const top: Matrix = { rows: s, cols: m, data: w.data.slice(0, s * m) };
  const bottom: Matrix = { rows: q.cols, cols: m, data: w.data.slice(s * m) };
  const zw = vstack(top, multiply(q, bottom));
  const y = multiply(hconcat([a, multiply(b, q)]), w);
  const update = multiply(scaleColumns(y, shift), zw, false, true);
  for (let i = 0; i < whole.data.length; i++) whole.data[i] += update.data[i]!;
  return whole;
}

function vstack(x: Matrix, y: Matrix): Matrix {
  const data = new Float64Array((x.rows + y.rows) * x.cols);
  data.set(x.data);
  data.set(y.data, x.data.length);
  return { rows: x.rows + y.rows, cols: x.cols, data };
}
