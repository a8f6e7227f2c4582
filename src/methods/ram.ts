/**
 * `ram(m..., base, epsilon: 1e-5)`: mergekit's Reinforced Agent Merging (RAM), per element. A task
 * vector entry counts when |δᵢ| > epsilon; an entry only one task changes is taken whole, one that
 * several tasks change is their mean, one no task changes stays the base:
 *   base + Σᵢ δᵢ·[|δᵢ| > ε] / max(1, Σᵢ [|δᵢ| > ε]).
 */
import type { MethodKernel } from "./method.js";
import { ParamError, ParamReader } from "./param-reader.js";

export interface RamParams {
  epsilon: number;
}

export const ramKernel: MethodKernel<RamParams, null> = {
  name: "ram",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(params, inputCount) {
    if (inputCount < 1) throw new ParamError("ram needs at least 1 model besides the base");
    const epsilon = new ParamReader(params, "ram").number("epsilon", 1e-5);
    if (!(epsilon >= 0)) throw new ParamError(`ram: epsilon must be at least 0, got ${epsilon}`);
    return { epsilon };
  },
  apply(params, _stats, chunk, out) {
    const base = chunk.base!;
    const n = chunk.inputs.length;
    const eps = params.epsilon;
    for (let j = 0; j < chunk.length; j++) {
      const b = base[j]!;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.fround(chunk.inputs[i]![j]! - b);
        const live = +(Math.abs(d) > eps);
        sum += live * d;
        count += live;
      }
      out[j] = b + sum / (count + +(count === 0));
    }
  },
};
