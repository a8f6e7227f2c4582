/** `trim(delta, density)`: TIES's first step on one task vector, with the tie-inclusive threshold. */
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";
import { TrimThresholdSession, type TrimThresholds } from "./shared/trim-threshold.js";

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
  beginStats(params, scopeSize, inputCount) {
    return new TrimThresholdSession(new Array<number>(inputCount).fill(params.density), scopeSize, false);
  },
  apply(_params, stats, chunk, out) {
    const x = chunk.inputs[0]!;
    const t = stats![0]!;
    for (let i = 0; i < chunk.length; i++) {
      const v = x[i]!;
      out[i] = Math.abs(v) >= t ? v : 0;
    }
  },
};
