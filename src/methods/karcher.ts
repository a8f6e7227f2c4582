/**
 * `karcher(m..., max_iter: 10, tol: 1e-5)`: mergekit's Karcher mean, per tensor. Each model is
 * split into its norm and its direction on the unit sphere; the directions' Riemannian barycentre
 * (equal weights) is found by gradient steps along the sphere, and scaled by the mean norm.
 * Every vector in the algorithm is a combination of the models, so it runs on coefficients over
 * the models' Gram matrix (shared/span.ts) and the tensor is formed once at the end.
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { applySpan, gramMatrix, gramSelections, gramValues, spanDot, spanNorm } from "./shared/span.js";

export interface KarcherParams {
  maxIter: number;
  tol: number;
}

/**
 * The coefficient of each model in the Karcher mean, from the Gram matrix of the models (the
 * steps of mergekit's `karcher_merge_tensors`, in float64).
 */
export function karcherCoefficients(g: readonly number[][], maxIter: number, tol: number): number[] {
  const n = g.length;
  const alpha = 1 / n;
  const norms = g.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  // unit i as coefficients over the models: e_i / |x_i|.
  const unit = (i: number): number[] => {
    const c = new Array<number>(n).fill(0);
    if (norms[i]! > 0) c[i] = 1 / norms[i]!;
    return c;
  };
  const valid = norms.map((_, i) => i).filter((i) => norms[i]! > tol);
  if (valid.length === 0) return new Array<number>(n).fill(0);
  const weight = 1 / valid.length; // alphas renormalised over the valid models
  const units = valid.map(unit);
  const combine = (terms: [number, number[]][]): number[] => {
    const out = new Array<number>(n).fill(0);
    for (const [k, v] of terms) for (let i = 0; i < n; i++) out[i] += k * v[i]!;
    return out;
  };
  let mean = combine(units.map((u) => [weight, u]));
  const meanNorm = spanNorm(g, mean);
  mean = meanNorm < tol ? units[0]!.slice() : mean.map((c) => c / meanNorm);
  for (let iter = 0; iter < maxIter; iter++) {
    const terms: [number, number[]][] = [];
    for (const u of units) {
      const dot = Math.min(1, Math.max(-1, spanDot(g, mean, u)));
      const theta = Math.acos(dot);
      if (theta < tol) continue;
      const k = (weight * theta) / Math.sin(theta);
      terms.push([k, u], [-k * dot, mean]);
    }
    const tangent = combine(terms);
    const tn = spanNorm(g, tangent);
    if (tn < tol) break;
    mean = combine([
      [Math.cos(tn), mean],
      [Math.sin(tn) / tn, tangent],
    ]);
    const un = spanNorm(g, mean);
    if (un > tol) mean = mean.map((c) => c / un);
  }
  const scale = norms.reduce((a, x) => a + alpha * x, 0);
  return mean.map((c) => scale * c);
}

export const karcherKernel: MethodKernel<KarcherParams, number[]> = {
  name: "karcher",
  backend: "cpu",
  inputKind: "models",
  base: "unused",
  scopeParams: [],
  parseParams(params, inputCount) {
    if (inputCount < 1) throw new ParamError("karcher needs at least 1 model");
    const r = new ParamReader(params, "karcher");
    const maxIter = r.number("max_iter", 10);
    if (!Number.isInteger(maxIter) || maxIter < 0) throw new ParamError(`karcher: max_iter must be a whole number ≥ 0, got ${maxIter}`);
    const tol = r.number("tol", 1e-5);
    if (!(tol > 0)) throw new ParamError(`karcher: tol must be more than 0, got ${tol}`);
    return { maxIter, tol };
  },
  stats: {
    stage: (_params, stage, _d, n) => (stage === 0 ? gramSelections(n) : null),
    values: (_params, _stage, _earlier, chunk, start, end, out) => gramValues(chunk, start, end, out),
    result: (params, _d, n, stages) => {
      // One model is returned as it is (mergekit's shortcut).
      if (n === 1) return [1];
      return karcherCoefficients(gramMatrix(n, stages[0]!.map((s) => s[0]!)), params.maxIter, params.tol);
    },
  },
  apply(_params, stats, chunk, out) {
    applySpan(chunk, stats ?? new Array<number>(chunk.inputs.length).fill(0), out);
  },
};
