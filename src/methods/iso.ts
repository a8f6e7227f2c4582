/**
 * Isotropic merging (Marczak et al., ICML 2025), per 2-D tensor as the authors' `iso_c` / `iso_cts`.
 *
 * `iso_c(m..., base, alpha: 1.0)`: the task sum Δ = Σδᵢ = U·Σ·Vᵀ with its spectrum flattened to the
 * mean singular value σ̄ (over all r = min(rows, cols) values): base + α·σ̄·U·Vᵀ.
 *
 * `iso_cts(m..., base, alpha: 1.0, common_space_fraction: 0.8)`: a common subspace, the top k of Δ,
 * with k = ⌊r·f⌋ adjusted so that the rest divides evenly, r − k = round((r − ⌊r·f⌋)/T)·T (Python's
 * round); each task contributes s = (r − k)/T directions, the top ones of its matrix with the common
 * subspace projected out, δᵢ − U_c·U_cᵀ·δᵢ. The [task-specific …, common] vectors are orthogonalised
 * (polar factors) and the result is base + α·σ̄·U⊥·V⊥ᵀ, σ̄ the mean of the kept singular values.
 *
 * Other tensors: spectral.ts.
 */
import { EXACT_LIMIT, type Matrix, type Svd, columns, hconcat, leadingSvd, leadingSvdsSideBySide, multiply, polarAndSpectrum, polarsSideBySide, zeros } from "../linalg/index.js";
import type { MethodKernel } from "./method.js";
import { ParamError } from "./param-reader.js";
import { SPECTRAL_KERNEL, type SpectralParams, addScaled, matrixShape, meanTaskInto, pythonRound, readSpectral, taskMatrix, taskSum } from "./shared/spectral.js";
import type { ChunkInputs, KernelContext } from "./method.js";
import { isoCtsInEigenbasis } from "./shared/iso-cts-eigenbasis.js";

function mean(s: ArrayLike<number>, count: number): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return count > 0 ? sum / count : 0;
}

function scaled(m: Matrix, k: number): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.map((x) => x * k) };
}

/** Iso-C's task matrix σ̄·U·Vᵀ of Δ = Σδᵢ (before α). */
export function isoCMerge(sum: Matrix, svd: SpectralParams["svd"]): Matrix {
  const { polar, s } = polarAndSpectrum(sum, svd);
  return scaled(polar, mean(s, Math.min(sum.rows, sum.cols)));
}

/** The common-subspace size k and per-task size s of Iso-CTS for short side r and T tasks. */
export function isoCtsSplit(r: number, tasks: number, fraction: number): { common: number; perTask: number } {
  const first = Math.floor(r * fraction);
  let specific = pythonRound((r - first) / tasks) * tasks;
  // Where the rounding would need more directions than remain (r tiny), round down instead.
  if (specific > r) specific = Math.floor((r - first) / tasks) * tasks;
  return { common: r - specific, perTask: specific / tasks };
}

/**
 * Iso-CTS's task matrix (before α): beyond the exact-SVD size, for a matrix no taller than wide, in
 * the task sum's eigenbasis (shared/iso-cts-eigenbasis.ts, one large decomposition); otherwise by
 * the authors' sequence of SVDs (isoCtsBySvds).
 */
export function isoCtsMerge(tasks: readonly Matrix[], fraction: number, svd: SpectralParams["svd"]): Matrix {
  const { rows, cols } = tasks[0]!;
  const { common, perTask } = isoCtsSplit(Math.min(rows, cols), tasks.length, fraction);
  const sum = taskMatrixSum(tasks);
  const fast = svd !== "exact" && Math.min(rows, cols) > EXACT_LIMIT ? isoCtsInEigenbasis(tasks, sum, common, perTask) : null;
  return fast ?? isoCtsBySvds(tasks, sum, common, perTask, svd);
}

function taskMatrixSum(tasks: readonly Matrix[]): Matrix {
  const sum = zeros(tasks[0]!.rows, tasks[0]!.cols);
  for (const t of tasks) for (let j = 0; j < sum.data.length; j++) sum.data[j] += t.data[j]!;
  return sum;
}

/** Iso-CTS as the authors compute it: the sum's SVD, each task's residual SVD, two polar factors. */
export function isoCtsBySvds(tasks: readonly Matrix[], sum: Matrix, common: number, perTask: number, svd: SpectralParams["svd"]): Matrix {
  const { rows, cols } = sum;
  const r = Math.min(rows, cols);
  const c = leadingSvd(sum, common, svd);
  const us: Matrix[] = [];
  const vs: Matrix[] = [];
  const ss: number[] = [];
  if (perTask > 0) {
    const rest = (t: Matrix): Matrix => {
      // δᵢ − U_c·(U_cᵀ·δᵢ): the task's matrix outside the common subspace.
      const inside = multiply(c.u, multiply(c.u, t, true, false));
      return { rows, cols, data: t.data.map((x, j) => x - inside.data[j]!) };
    };
    // Independent decompositions, two at a time (side-by-side.ts), as the two polar factors below;
    // two residuals formed at a time, not T.
    const parts: Svd[] = [];
    for (let i = 0; i < tasks.length; i += 2) parts.push(...leadingSvdsSideBySide(tasks.slice(i, i + 2).map(rest), perTask, svd));
    for (const d of parts) {
      us.push(columns(d.u, 0, Math.min(perTask, d.u.cols)));
      vs.push(columns(d.v, 0, Math.min(perTask, d.v.cols)));
      ss.push(...d.s.slice(0, perTask));
    }
  }
  us.push(c.u);
  vs.push(c.v);
  ss.push(...c.s);
  const [u, v] = polarsSideBySide([hconcat(us), hconcat(vs)], svd);
  return scaled(multiply(u!.polar, v!.polar, false, true), mean(ss, r));
}

interface IsoCtsParams extends SpectralParams {
  fraction: number;
}

function spectralApply(merge: (chunk: ChunkInputs, rows: number, cols: number) => Matrix) {
  return (params: SpectralParams, _stats: null, chunk: ChunkInputs, out: Float32Array, ctx: KernelContext): void => {
    const shape = matrixShape(chunk, ctx);
    if (!shape) return meanTaskInto(chunk, params.alpha, out);
    addScaled(chunk, params.alpha, merge(chunk, shape.rows, shape.cols), out);
  };
}

export const isoCKernel: MethodKernel<SpectralParams, null> = {
  name: "iso_c",
  ...SPECTRAL_KERNEL,
  parseParams(params, inputCount) {
    if (inputCount < 1) throw new ParamError("iso_c needs at least 1 model");
    return readSpectral(params, "iso_c").common;
  },
  apply(params, stats, chunk, out, ctx) {
    spectralApply((ch, rows, cols) => isoCMerge(taskSum(ch, rows, cols), params.svd))(params, stats, chunk, out, ctx);
  },
};

export const isoCtsKernel: MethodKernel<IsoCtsParams, null> = {
  name: "iso_cts",
  ...SPECTRAL_KERNEL,
  parseParams(params, inputCount) {
    if (inputCount < 1) throw new ParamError("iso_cts needs at least 1 model");
    const { reader, common } = readSpectral(params, "iso_cts");
    const fraction = reader.number("common_space_fraction", 0.8);
    reader.inRange("common_space_fraction", fraction, 0, 1);
    return { ...common, fraction };
  },
  apply(params, stats, chunk, out, ctx) {
    const merge = (ch: ChunkInputs, rows: number, cols: number): Matrix =>
      isoCtsMerge(ch.inputs.map((_, i) => taskMatrix(ch, i, rows, cols)), params.fraction, params.svd);
    spectralApply(merge)(params, stats, chunk, out, ctx);
  },
};
