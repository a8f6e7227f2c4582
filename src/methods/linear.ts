/** `linear(m..., weights?, normalize: true)`: the weighted average of models, Σ wᵢ·mᵢ / Σ wᵢ. */
import { weightedSumInto } from "../engine/kernels/elementwise.js";
import type { ChunkInputs, MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface LinearParams {
  /** The coefficient of each model after normalisation. */
  coefs: number[];
}

export const linearKernel: MethodKernel<LinearParams, null> = {
  name: "linear",
  backend: "cpu",
  inputKind: "models",
  base: "unused",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "linear");
    const weights = r.perModel("weights", inputCount, 1);
    const normalize = r.bool("normalize", true);
    if (!normalize) return { coefs: weights };
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum === 0) throw new ParamError("linear: the weights sum to 0, so normalize: true cannot divide by their sum");
    return { coefs: weights.map((w) => w / sum) };
  },
  apply(params, _stats, chunk: ChunkInputs, out) {
    weightedSumInto(chunk.inputs, params.coefs, out, chunk.length);
  },
};
