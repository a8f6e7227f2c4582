/**
 * `multislerp(m..., weights?, base?, normalize_weights: true, eps: 1e-8)`: mergekit's Multi-SLERP,
 * barycentric interpolation on the hypersphere, per tensor. The inputs (models, or task vectors
 * against the base) are projected to the unit sphere, their weighted mean direction is the tangent
 * point, the weighted tangent vectors are summed and mapped back with the exponential map, and the
 * result is scaled by the weighted mean norm. As in karcher.ts it runs on the Gram matrix.
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";
import { applySpan, gramMatrix, gramSelections, gramValues, spanDot, spanNorm } from "./shared/span.js";

export interface MultislerpParams {
  weights: number[];
  eps: number;
}

/** The coefficient of each input in the result (mergekit's `multislerp` steps, in float64). */
export function multislerpCoefficients(g: readonly number[][], weights: readonly number[], eps: number): number[] {
  const n = g.length;
  const norms = g.map((row, i) => Math.sqrt(Math.max(0, row[i]!)));
  const unit = (i: number): number[] => {
    const c = new Array<number>(n).fill(0);
    c[i] = 1 / (norms[i]! + eps);
    return c;
  };
  const units = norms.map((_, i) => unit(i));
  const sum = (terms: [number, number[]][]): number[] => {
    const out = new Array<number>(n).fill(0);
    for (const [k, v] of terms) for (let i = 0; i < n; i++) out[i] += k * v[i]!;
    return out;
  };
  let mean = sum(units.map((u, i) => [weights[i]!, u]));
  const meanNorm = spanNorm(g, mean);
  if (meanNorm < eps) {
    if (n === 2) return [weights[0]!, weights[1]!]; // mergekit falls back to linear interpolation
    throw new ParamError(
      "multislerp: the weighted sum of the input directions is zero (antipodal inputs whose weights balance out); use other weights",
    );
  }
  mean = mean.map((c) => c / meanNorm);
  const tangent = sum(units.flatMap((u, i): [number, number[]][] => {
    const dot = spanDot(g, u, mean);
    return [
      [weights[i]!, u],
      [-weights[i]! * dot, mean],
    ];
  }));
  const tn = spanNorm(g, tangent) + eps;
  const direction = sum([
    [Math.cos(tn), mean],
    [Math.sin(tn) / tn, tangent],
  ]);
  const avgNorm = norms.reduce((a, x, i) => a + x * weights[i]!, 0);
  return direction.map((c) => c * avgNorm);
}

export const multislerpKernel: MethodKernel<MultislerpParams, number[]> = {
  name: "multislerp",
  backend: "cpu",
  inputKind: "models",
  base: "optional",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "multislerp");
    let weights = r.perModel("weights", inputCount, 1);
    if (r.bool("normalize_weights", true)) {
      const total = weights.reduce((a, b) => a + b, 0);
      if (total === 0) throw new ParamError("multislerp: the weights sum to 0, so normalize_weights: true cannot divide by their sum");
      weights = weights.map((w) => w / total);
    }
    const eps = r.number("eps", 1e-8);
    if (!(eps > 0)) throw new ParamError(`multislerp: eps must be more than 0, got ${eps}`);
    return { weights, eps };
  },
  stats: {
    stage: (_params, stage, _d, n) => (stage === 0 ? gramSelections(n) : null),
    values: (_params, _stage, _earlier, chunk, start, end, out) => gramValues(chunk, start, end, out),
    result: (params, _d, n, stages) => {
      if (n === 1) return [1];
      return multislerpCoefficients(gramMatrix(n, stages[0]!.map((s) => s[0]!)), params.weights, params.eps);
    },
  },
  apply(_params, stats, chunk, out) {
    // A single input is returned as the model itself, base included (mergekit's shortcut).
    if (chunk.inputs.length === 1) {
      out.set(chunk.inputs[0]!.subarray(0, chunk.length));
      return;
    }
    applySpan(chunk, stats ?? new Array<number>(chunk.inputs.length).fill(0), out);
  },
};
