/**
 * The thin SVD through the Gram matrix of the shorter side: aᵀa = V·Λ·Vᵀ, σ = √λ, U = a·V·Σ⁻¹ (or the
 * same on a·aᵀ for a wide matrix). One product of a's size and one eigendecomposition of the short
 * side: the fast full SVD of a large matrix. Squaring costs accuracy in the small singular values
 * (σᵢ is off by about ε·σ₁²/σᵢ); directions with σ below `floor`·σ₁ are dropped (U, V columns 0).
 */
import { type Svd, symmetricEigen } from "./eigen.js";
import { type Matrix, scaleColumns, transpose } from "./matrix.js";
import { gramOf, multiply } from "./matmul.js";

export const GRAM_FLOOR = 1e-4;

export function gramSvd(a: Matrix, floor = GRAM_FLOOR, rank = Math.min(a.rows, a.cols)): Svd {
  const wide = a.cols > a.rows;
  const x = wide ? transpose(a) : a;
  // Only the leading `rank` triplets are formed: their eigenvectors, and U = a·V·Σ⁻¹ column by column.
  const r = Math.max(0, Math.min(rank, x.cols));
  const { values, vectors } = symmetricEigen(gramOf(x), r);
  const s = Float64Array.from(values.subarray(0, r), (l) => Math.sqrt(Math.max(0, l)));
  const cut = floor * (s[0] ?? 0);
  const inv = Float64Array.from(s, (x) => (x > cut && x > 0 ? 1 / x : 0));
  for (let i = 0; i < s.length; i++) if (inv[i] === 0) s[i] = 0;
  const vk = scaleColumns(vectors, Float64Array.from(inv, (x) => (x === 0 ? 0 : 1)));
  const u = scaleColumns(multiply(x, vk), inv);
  return wide ? { u: vk, s, v: u } : { u, s, v: vk };
}
