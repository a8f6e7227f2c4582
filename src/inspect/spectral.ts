/**
 * Spectral interference (TSV-Merge, Gargiulo et al., CVPR 2025, §4): how much the tasks' top
 * singular subspaces overlap, per 2-D tensor (the matrices the SVD-based methods decompose).
 *
 * Each task matrix δᵢ keeps its top k singular triplets (Uᵢ, sᵢ, Vᵢ): exact mode k = ⌊r/T⌋ (TSV's
 * rank share, from the full SVD); fast mode k = min(⌊r/T⌋, FAST_RANK) by the randomized SVD.
 *
 * - `overlap` = Σ_{i≠j} (‖Uⱼᵀ·Uᵢ·diag(sᵢ)‖² + ‖Vⱼᵀ·Vᵢ·diag(sᵢ)‖²) / (2(T−1)·Σᵢ‖sᵢ‖²): the share of
 *   each task's top singular energy that lies in another task's top subspace (left and right),
 *   0 for orthogonal subspaces (nothing for TSV's decorrelation to remove), 1 for identical ones.
 *   A ratio of sums, so groups add their tensors' numerators and denominators.
 * - `sti`: the paper's singular task interference ‖(UᵀU − I)·Σ·(VᵀV − I)‖₁ (entrywise), U = [U₁ … U_T],
 *   Σ = diag(s₁ … s_T), V = [V₁ … V_T]; summed over a group's tensors.
 */
import { type Matrix, type Svd, gramOf, hconcat, leadingSvdsSideBySide, multiply, scaleColumns, truncatedSvdsSideBySide } from "../linalg/index.js";

export const FAST_RANK = 16;

/** Merge methods whose reports (code lens, `inspect --all`) include the spectral view. */
export const SPECTRAL_METHODS: ReadonlySet<string> = new Set(["tsv", "iso_c", "iso_cts"]);

export interface SpectralTotals {
  overlap: number;
  energy: number;
  sti: number;
}

export function emptySpectral(): SpectralTotals {
  return { overlap: 0, energy: 0, sti: 0 };
}

export function addSpectral(into: SpectralTotals, x: SpectralTotals): void {
  into.overlap += x.overlap;
  into.energy += x.energy;
  into.sti += x.sti;
}

/** The rank each task keeps for a short side r and T tasks. */
export function spectralRank(r: number, tasks: number, exact: boolean): number {
  const share = Math.max(1, Math.floor(r / tasks));
  return exact ? share : Math.min(share, FAST_RANK);
}

function squaredNorm(m: Matrix): number {
  let s = 0;
  for (const x of m.data) s += x * x;
  return s;
}

/** The totals of one tensor from its task matrices (T ≥ 2 for a non-zero denominator). */
export function spectralTotals(tasks: readonly Matrix[], exact: boolean): SpectralTotals {
  const T = tasks.length;
  if (T < 2) return emptySpectral();
  const { rows, cols } = tasks[0]!;
  const k = spectralRank(Math.min(rows, cols), T, exact);
  // Independent per task: two at a time (side-by-side.ts).
  const parts: Svd[] = exact ? leadingSvdsSideBySide(tasks, k) : truncatedSvdsSideBySide(tasks, k, "auto", tasks.map((_, i) => 0x5bec + i));
  let overlap = 0;
  let energy = 0;
  for (let i = 0; i < T; i++) {
    const si = parts[i]!.s;
    for (const x of si) energy += 2 * (T - 1) * x * x;
    for (let j = 0; j < T; j++) {
      if (i === j) continue;
      overlap += squaredNorm(scaleColumns(multiply(parts[j]!.u, parts[i]!.u, true, false), si));
      overlap += squaredNorm(scaleColumns(multiply(parts[j]!.v, parts[i]!.v, true, false), si));
    }
  }
  return { overlap, energy, sti: singularTaskInterference(parts) };
}

/** ‖(UᵀU − I)·Σ·(VᵀV − I)‖₁ of the concatenated triplets. */
export function singularTaskInterference(parts: readonly Svd[]): number {
  const u = hconcat(parts.map((p) => p.u));
  const v = hconcat(parts.map((p) => p.v));
  const s = parts.flatMap((p) => [...p.s]);
  const minusIdentity = (g: Matrix): Matrix => {
    for (let i = 0; i < g.rows; i++) g.data[i * g.cols + i]! -= 1;
    return g;
  };
  const a = minusIdentity(gramOf(u));
  const b = minusIdentity(gramOf(v));
  // (A·Σ)·B: Σ scales A's columns.
  const m = multiply(scaleColumns(a, s), b);
  let sum = 0;
  for (const x of m.data) sum += Math.abs(x);
  return sum;
}

/** The task matrices of one tensor's deltas (row-major, as stored). */
export function deltaMatrices(deltas: readonly Float32Array[], rows: number, cols: number): Matrix[] {
  return deltas.map((d) => ({ rows, cols, data: Float64Array.from(d) }));
}
