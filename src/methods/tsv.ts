/**
 * `tsv(m..., base, alpha: 1.0, rank_share, orthogonalize: true, svd: "auto")`: Task Singular
 * Vectors merging (TSV-M; Gargiulo et al., CVPR 2025), per 2-D tensor as the authors'
 * `compute_and_sum_svd_mem_reduction`:
 *
 * 1. each task matrix δᵢ = Uᵢ·Σᵢ·Vᵢᵀ keeps its top k = ⌊r·rank_share⌋ singular triplets (r = the short
 *    side; rank_share = 1/T by default: T tasks share the rank);
 * 2. the kept vectors are concatenated, U = [U₁ₖ … U_Tₖ], V = [V₁ₖ … V_Tₖ], Σ = diag(Σ₁ₖ … Σ_Tₖ);
 * 3. orthogonalisation: U and V are replaced by their polar factors (P·Qᵀ of P·S·Qᵀ), which removes
 *    the tasks' shared directions (interference) while keeping each task's spectrum;
 * 4. result base + α·U⊥·Σ·V⊥ᵀ. `orthogonalize: false` gives the plain sum of the low-rank
 *    approximations (the paper's TSV-C summed, an ablation).
 *
 * Other tensors: spectral.ts.
 */
import { EXACT_LIMIT, type Matrix, type Svd, type SvdMode, hconcat, leadingSvdsSideBySide, multiply, orthonormalPairPolarsSideBySide, polarsSideBySide, scaleColumns } from "../linalg/index.js";
import type { MethodKernel } from "./method.js";
import { ParamError } from "./param-reader.js";
import { SPECTRAL_KERNEL, type SpectralParams, addScaled, matrixShape, meanTaskInto, readSpectral, taskMatrix } from "./shared/spectral.js";

export interface TsvParams extends SpectralParams {
  /** Share of the short side each task keeps; null: 1/T. */
  rankShare: number | null;
  orthogonalize: boolean;
}

/** The TSV-M task matrix U⊥·Σ·V⊥ᵀ of task matrices δᵢ (before α). */
export function tsvMerge(tasks: readonly Matrix[], p: Pick<TsvParams, "rankShare" | "orthogonalize" | "svd">): Matrix {
  const { rows, cols } = tasks[0]!;
  const short = Math.min(rows, cols);
  const k = Math.floor(short * (p.rankShare ?? 1 / tasks.length));
  if (k === 0) return { rows, cols, data: new Float64Array(rows * cols) };
  // The tasks' decompositions, and U's and V's polar factors, are independent: two at a time (side-by-side.ts).
  const parts = leadingSvdsSideBySide(tasks, k, p.svd);
  const s = Float64Array.from(parts.flatMap((d) => [...d.s]));
  const { u, v } = p.orthogonalize ? decorrelated(parts, rows, cols, p.svd) : { u: hconcat(parts.map((d) => d.u)), v: hconcat(parts.map((d) => d.v)) };
  return multiply(scaleColumns(u, s), v, false, true);
}

/**
 * The polar factors of [U₁ … U_T] and [V₁ … V_T]. For two tasks on the Gram path, with no direction
 * dropped, each is polarOfOrthonormalPair's (an eigendecomposition of order k, not 2k). The Gram
 * SVD's eigenvector side is orthonormal; the other (U for a matrix at least as tall as wide) only to
 * its accuracy, so it takes one Newton–Schulz step first.
 */
function decorrelated(parts: readonly Svd[], rows: number, cols: number, mode: SvdMode): { u: Matrix; v: Matrix } {
  const [a, b] = parts;
  const pair = parts.length === 2 && mode !== "exact" && Math.min(rows, cols) > EXACT_LIMIT && parts.every((d) => d.s.every((x) => x > 0));
  if (!pair || !a || !b) {
    const [u, v] = polarsSideBySide([hconcat(parts.map((d) => d.u)), hconcat(parts.map((d) => d.v))], mode);
    return { u: u!.polar, v: v!.polar };
  }
  const tall = rows >= cols;
  const [u, v] = orthonormalPairPolarsSideBySide([
    { x: a.u, y: b.u, refine: tall },
    { x: a.v, y: b.v, refine: !tall },
  ]);
  return { u: u!, v: v! };
}

export const tsvKernel: MethodKernel<TsvParams, null> = {
  name: "tsv",
  ...SPECTRAL_KERNEL,
  parseParams(params, inputCount) {
    if (inputCount < 1) throw new ParamError("tsv needs at least 1 model");
    const { reader, common } = readSpectral(params, "tsv");
    const rankShare = reader.has("rank_share") ? reader.number("rank_share", 0) : null;
    if (rankShare !== null) reader.inRange("rank_share", rankShare, 0, 1);
    if (rankShare !== null && rankShare * inputCount > 1) {
      throw new ParamError(`tsv: rank_share ${rankShare} × ${inputCount} models is over 1: the tasks' singular vectors would not fit the matrix's rank`);
    }
    return { ...common, rankShare, orthogonalize: reader.bool("orthogonalize", true) };
  },
  apply(params, _stats, chunk, out, ctx) {
    const shape = matrixShape(chunk, ctx);
    if (!shape) return meanTaskInto(chunk, params.alpha, out);
    const tasks = chunk.inputs.map((_, i) => taskMatrix(chunk, i, shape.rows, shape.cols));
    addScaled(chunk, params.alpha, tsvMerge(tasks, params), out);
  },
};
