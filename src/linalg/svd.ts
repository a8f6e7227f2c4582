/**
 * The SVD the spectral methods and the inspector ask for: `exact` (Golub–Kahan in float64), or
 * `auto`: exact up to EXACT_LIMIT on the short side, and beyond it the randomized truncated SVD for
 * a rank well below the short side, the Gram-matrix SVD otherwise (a randomized SVD of nearly full
 * rank costs more than the full one). The choice and its figures: docs/spectral.md.
 */
import { type Svd, exactSvd } from "./eigen.js";
import { GRAM_FLOOR, gramSvd } from "./gram-svd.js";
import { type Matrix, columns } from "./matrix.js";
import { DEFAULT_OVERSAMPLE, randomizedSvd } from "./randomized-svd.js";

export type SvdMode = "auto" | "exact";

/** Short sides up to this get the exact SVD in `auto` mode. */
export const EXACT_LIMIT = 256;

/** The leading `rank` singular triplets (all of them when rank ≥ min(rows, cols)). */
export function truncatedSvd(a: Matrix, rank: number, mode: SvdMode = "auto", seed?: number): Svd {
  const short = Math.min(a.rows, a.cols);
  const k = Math.min(rank, short);
  let full: Svd;
  if (mode === "exact" || short <= EXACT_LIMIT) full = exactSvd(a);
  else if (4 * (k + DEFAULT_OVERSAMPLE) <= short) return randomizedSvd(a, k, seed === undefined ? {} : { seed });
  else full = gramSvd(a);
  return k >= full.s.length ? full : truncate(full, k);
}

/**
 * The leading `rank` triplets from the full decomposition (exact, or Gram-matrix beyond EXACT_LIMIT,
 * which forms only the kept columns of U): what the merge methods use, since their orthogonalisation
 * needs a full decomposition of the short side anyway, and a randomized SVD of a flat spectrum (the
 * residuals Iso-CTS decomposes) picks a different subspace than the exact one.
 */
export function leadingSvd(a: Matrix, rank: number, mode: SvdMode = "auto"): Svd {
  const k = Math.max(0, rank);
  if (mode !== "exact" && Math.min(a.rows, a.cols) > EXACT_LIMIT) return gramSvd(a, GRAM_FLOOR, k);
  const full = exactSvd(a);
  return k >= full.s.length ? full : truncate(full, k);
}

/** The full thin SVD. */
export function fullSvd(a: Matrix, mode: SvdMode = "auto"): Svd {
  return mode === "exact" || Math.min(a.rows, a.cols) <= EXACT_LIMIT ? exactSvd(a) : gramSvd(a);
}

export function truncate(d: Svd, k: number): Svd {
  return { u: columns(d.u, 0, k), s: d.s.slice(0, k), v: columns(d.v, 0, k) };
}

export type { Svd } from "./eigen.js";
