/**
 * Iso-CTS for a Gram-path matrix no taller than wide (r = rows), in the eigenbasis of Δ·Δᵀ (Δ the
 * task sum). Its eigenvectors are a complete orthonormal basis [U_c Q] of the row space: U_c the
 * common subspace, Q its complement. That basis makes the authors' full-width decompositions small:
 *
 * - each task's residual δᵢ − U_c·U_cᵀ·δᵢ = Q·(Qᵀ·δᵢ), so its SVD is Q times the SVD of the
 *   (r − k)-row Qᵀ·δᵢ;
 * - the left vectors are [Q·W, U_c] with W = [W₁ … W_T] square of order r − k, and Q ⟂ U_c, so their
 *   polar factor is [Q·polar(W), U_c];
 * - the right vectors are [V_t, V_c] with V_c orthonormal: polarBordered.
 *
 * The same result as the general path (iso.ts) in exact arithmetic, with one decomposition of order
 * r instead of T + 3; docs/spectral.md has the figures. V_c = Δᵀ·U_c·Σ⁻¹ is orthonormal only to
 * the Gram path's accuracy (about ε₃₂·σ₁²/σ_k²), and polarBordered takes it as exactly so: one
 * Newton–Schulz step first squares that defect.
 */
import { GRAM_FLOOR, type Matrix, columns, gramOf, gramSvdsSideBySide, hconcat, multiply, newtonSchulzStep, polarBordered, polarFactor, scaleColumns, symmetricEigen, transpose } from "../../linalg/index.js";

/**
 * The task matrix σ̄·U⊥·V⊥ᵀ, or null where this path does not apply: a matrix taller than wide, no
 * common or no task-specific directions, or a common direction Δ lacks.
 */
export function isoCtsInEigenbasis(tasks: readonly Matrix[], sum: Matrix, common: number, perTask: number): Matrix | null {
  const { rows } = sum;
  if (rows > sum.cols || common === 0 || perTask === 0) return null;
  const { values, vectors } = symmetricEigen(gramOf(transpose(sum)));
  const s = Float64Array.from(values, (l) => Math.sqrt(Math.max(0, l)));
  if (!(s[common - 1]! > GRAM_FLOOR * s[0]!)) return null;
  const uc = columns(vectors, 0, common);
  const q = columns(vectors, common, rows);
  const vc = newtonSchulzStep(scaleColumns(multiply(sum, uc, true, false), Float64Array.from(s.subarray(0, common), (x) => 1 / x)));
  const ws: Matrix[] = [];
  const vs: Matrix[] = [];
  let total = 0;
  for (let i = 0; i < common; i++) total += s[i]!;
  // The Gram path whatever r − k is: the exact SVD of a (r − k) × cols matrix costs more than all
  // the rest. The tasks' decompositions are independent: two at a time (side-by-side.ts).
  for (const d of gramSvdsSideBySide(tasks.map((t) => multiply(q, t, true, false)), GRAM_FLOOR, perTask)) {
    ws.push(columns(d.u, 0, Math.min(perTask, d.u.cols)));
    vs.push(columns(d.v, 0, Math.min(perTask, d.v.cols)));
    for (let i = 0; i < Math.min(perTask, d.s.length); i++) total += d.s[i]!;
  }
  const u = hconcat([multiply(q, polarFactor(hconcat(ws))), uc]);
  const v = polarBordered(hconcat(vs), vc);
  const out = multiply(u, v, false, true);
  const mean = total / rows;
  for (let i = 0; i < out.data.length; i++) out.data[i] *= mean;
  return out;
}
