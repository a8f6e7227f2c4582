/**
 * `disjoint_mean(d..., sign?)`: TIES's third step, the mean of each element over the deltas whose
 * sign agrees with the elected sign (0 where none agrees). Without a sign it elects one from the
 * deltas (`elect(d...)`). With one, the graph passes the sign as the last input and sets the
 * parameter `sign: true`.
 */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";

export interface DisjointMeanParams {
  /** The last input is the elected sign. */
  signInput: boolean;
}

export const disjointMeanKernel: MethodKernel<DisjointMeanParams, null> = {
  name: "disjoint_mean",
  backend: "cpu",
  inputKind: "deltas",
  base: "unused",
  scopeParams: [],
  parseParams(params) {
    return { signInput: new ParamReader(params, "disjoint_mean").bool("sign", false) };
  },
  apply(params, _stats, chunk, out) {
    const n = params.signInput ? chunk.inputs.length - 1 : chunk.inputs.length;
    const deltas = chunk.inputs;
    const sign = params.signInput ? chunk.inputs[n]! : null;
    for (let j = 0; j < chunk.length; j++) {
      let positive: boolean;
      if (sign) positive = sign[j]! >= 0;
      else {
        let vote = 0;
        for (let i = 0; i < n; i++) vote += deltas[i]![j]!;
        positive = vote >= 0;
      }
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const d = deltas[i]![j]!;
        if (positive ? d > 0 : d < 0) {
          sum += d;
          count++;
        }
      }
      out[j] = count > 0 ? sum / count : 0;
    }
  },
};
