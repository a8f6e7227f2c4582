/**
 * `passthrough(m, scale: 1.0)`: one model copied, each tensor multiplied by `scale` (mergekit's
 * passthrough method; e.g. `where "*down_proj*" { scale: 0.5 }`). Stacking several models' layers
 * (frankenmerges) is a graph node of its own, not a kernel: see `graph/stack.ts`.
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface PassthroughParams {
  scale: number;
}

export const passthroughKernel: MethodKernel<PassthroughParams, null> = {
  name: "passthrough",
  backend: "cpu",
  inputKind: "models",
  base: "unused",
  scopeParams: [],
  parseParams(params, inputCount) {
    if (inputCount !== 1) throw new ParamError(`passthrough scales exactly 1 model, got ${inputCount}`);
    return { scale: new ParamReader(params, "passthrough").number("scale", 1) };
  },
  apply(params, _stats, chunk, out) {
    const x = chunk.inputs[0]!;
    const s = params.scale;
    if (s === 1) out.set(x.subarray(0, chunk.length));
    else for (let j = 0; j < chunk.length; j++) out[j] = s * x[j]!;
  },
};
