/**
 * `ties(m..., base, density: 0.2, lambda: 1.0, weights?, scope, consensus: "sum", normalize: true)`:
 * TIES-Merging (spec §6). Trim each δᵢ = mᵢ − base to the elements whose magnitude is at least the
 * k-th largest of the scope; elect γ = sign(Σ wᵢ·δᵢ) (or of Σ sign δᵢ for "count"; 0 → +1); merge
 * τ = Σ wᵢ·δᵢ·[sign δᵢ = γ] / Σ wᵢ·[sign δᵢ = γ]; result base + lambda·τ.
 */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { TrimThresholdSession, type TrimThresholds } from "./shared/trim-threshold.js";

export interface TiesParams {
  density: number[];
  lambda: number;
  weights: number[];
  consensus: "sum" | "count";
  normalize: boolean;
}

export const tiesKernel: MethodKernel<TiesParams, TrimThresholds> = {
  name: "ties",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: ["density"],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "ties");
    const density = r.perModel("density", inputCount, 0.2);
    r.inRange("density", density, 0, 1);
    return {
      density,
      lambda: r.number("lambda", 1),
      weights: r.perModel("weights", inputCount, 1),
      consensus: r.string("consensus", ["sum", "count"] as const, "sum"),
      normalize: r.bool("normalize", true),
    };
  },
  beginStats(params, scopeSize) {
    return new TrimThresholdSession(params.density, scopeSize, true);
  },
  apply(params, stats, chunk, out) {
    tiesMerge(chunk.inputs, chunk.base!, stats!, params, out, chunk.length);
  },
};

/** The fused elect-and-merge loop: deltas are recomputed (cheaply) rather than stored. */
export function tiesMerge(
  models: readonly Float32Array[],
  base: Float32Array,
  thresholds: TrimThresholds,
  params: TiesParams,
  out: Float32Array,
  length: number,
): void {
  const n = models.length;
  const w = params.weights;
  const t = thresholds;
  const lambda = params.lambda;
  const byCount = params.consensus === "count";
  const normalize = params.normalize;
  const f = Math.fround;
  for (let j = 0; j < length; j++) {
    const b = base[j]!;
    let vote = 0;
    for (let i = 0; i < n; i++) {
      const d = f(models[i]![j]! - b);
      if (!(Math.abs(d) >= t[i]!)) continue;
      vote += byCount ? (d > 0 ? 1 : d < 0 ? -1 : 0) : w[i]! * d;
    }
    const positive = vote >= 0;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const d = f(models[i]![j]! - b);
      if (!(Math.abs(d) >= t[i]!)) continue;
      if (positive ? d > 0 : d < 0) {
        num += w[i]! * d;
        den += w[i]!;
      }
    }
    const tau = normalize && den !== 0 ? num / den : num;
    out[j] = b + lambda * tau;
  }
}
