/** `trim(delta, density)`: TIES's first step on one task vector, with the tie-inclusive threshold. */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { inputSeries } from "./shared/series.js";
import { type TrimThresholds, trimSelections, trimThresholds } from "./shared/trim-threshold.js";

export interface TrimParams {
  density: number;
}

export const trimKernel: MethodKernel<TrimParams, TrimThresholds> = {
  name: "trim",
  backend: "cpu",
  inputKind: "deltas",
  base: "unused",
  scopeParams: ["density"],
  parseParams(params) {
    const r = new ParamReader(params, "trim");
    const density = r.number("density", 0.2);
    r.inRange("density", density, 0, 1);
    return { density };
  },
  stats: {
    stage: (params, stage, scopeSize) => (stage === 0 ? trimSelections(scopeSize, [params.density]) : null),
    values: (_params, _stage, _earlier, chunk, start, end, out) => inputSeries(chunk, start, end, out),
    result: (params, scopeSize, _n, stages) => trimThresholds(scopeSize, [params.density], stages),
  },
  apply(_params, stats, chunk, out) {
    const x = chunk.inputs[0]!;
    const t = stats![0]!;
    for (let i = 0; i < chunk.length; i++) {
      const v = x[i]!;
      out[i] = v * +(Math.abs(v) >= t) + 0; // + 0 turns the −0 of a trimmed negative into 0
    }
  },
};
