/**
 * The polar factor of [X₁ X₂] for two blocks of k orthonormal columns each (TSV-M's concatenated
 * singular vectors of two tasks), from an eigendecomposition of order k instead of 2k.
 *
 * G = [X₁ X₂]ᵀ[X₁ X₂] = [[I, C], [Cᵀ, I]] with C = X₁ᵀX₂ = P·Γ·Rᵀ has the eigenpairs 1 ± γⱼ,
 * (pⱼ; ±rⱼ)/√2, so with f± = (1 ± γ)^(−½), g = (f₊ + f₋)/2 and h = (f₊ − f₋)/2:
 *
 *   G^(−½) = [[P·g·Pᵀ, P·h·Rᵀ], [R·h·Pᵀ, R·g·Rᵀ]]
 *          = [[I + C·R·d₁·Rᵀ·Cᵀ, C·R·d₂·Rᵀ], [R·d₂·Rᵀ·Cᵀ, R·g·Rᵀ]]
 *
 * (P = C·R·Γ⁻¹ folded in: d₁ = (g − 1)/γ², d₂ = h/γ, both smooth at γ = 0, written below without
 * cancellation), so only CᵀC = R·Γ²·Rᵀ is decomposed and P, inaccurate for small γ, never formed.
 * A direction whose singular value √(1 − γ) is below GRAM_FLOOR of the largest is dropped (f₋ = 0),
 * as polarFactor's Gram path drops it.
 */
import { symmetricEigen } from "./eigen.js";
import { GRAM_FLOOR } from "./gram-svd.js";
import { type Matrix, hconcat, scaleColumns } from "./matrix.js";
import { gramOf, multiply } from "./matmul.js";

export function polarOfOrthonormalPair(x1: Matrix, x2: Matrix): Matrix {
  const k = x1.cols;
  if (x2.cols !== k || x2.rows !== x1.rows) throw new Error(`polarOfOrthonormalPair: ${x1.rows}×${k} beside ${x2.rows}×${x2.cols}`);
  const c = multiply(x1, x2, true, false);
  const { values, vectors: r } = symmetricEigen(gramOf(c));
  const gammas = Float64Array.from(values, (l) => Math.min(1, Math.sqrt(Math.max(0, l))));
  const cut = GRAM_FLOOR * Math.sqrt(1 + (gammas[0] ?? 0));
  const d1 = new Float64Array(k);
  const d2 = new Float64Array(k);
  const g = new Float64Array(k);
  gammas.forEach((gamma, j) => {
    const plus = Math.sqrt(1 + gamma);
    const minus = Math.sqrt(1 - gamma);
    const a = minus * (1 + minus);
    const b = plus * (1 + plus);
    if (minus > cut) {
      g[j] = (1 / plus + 1 / minus) / 2;
      d1[j] = (1 / (plus + minus) + 1) / (a * b); // ((f₊ − 1) + (f₋ − 1))/(2γ²)
      d2[j] = -(1 / a + 1 / b) / 2; // (f₊ − f₋)/(2γ)
    } else {
      // f₋ = 0: γ is near 1, so the plain quotients are exact enough.
      g[j] = 1 / (2 * plus);
      d1[j] = (g[j] - 1) / (gamma * gamma);
      d2[j] = 1 / (2 * plus * gamma);
    }
  });
  // [X₁ X₂]·G^(−½) = [X₁ + (Y·d₁ + Z·d₂)·Rᵀ·Cᵀ, (Y·d₂ + Z·g)·Rᵀ], Y = X₁·C·R, Z = X₂·R.
  const y = multiply(multiply(x1, c), r);
  const z = multiply(x2, r);
  const combine = (p: Float64Array, q: Float64Array): Matrix => {
    const ys = scaleColumns(y, p);
    const zs = scaleColumns(z, q);
    for (let i = 0; i < ys.data.length; i++) ys.data[i] += zs.data[i]!;
    return multiply(ys, r, false, true);
  };
  const left = multiply(combine(d1, d2), c, false, true);
  for (let i = 0; i < left.data.length; i++) left.data[i] += x1.data[i]!;
  return hconcat([left, combine(d2, g)]);
}
