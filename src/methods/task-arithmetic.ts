/** `task_arithmetic(m..., base, lambda: 1.0, weights?)`: base + lambda · Σ wᵢ·(mᵢ − base). */
import { basePlusWeightedDeltasInto } from "../engine/kernels/elementwise.js";
import type { MethodKernel } from "./method.js";
import { ParamReader } from "./param-reader.js";

export interface TaskArithmeticParams {
  lambda: number;
  weights: number[];
}

export const taskArithmeticKernel: MethodKernel<TaskArithmeticParams, null> = {
  name: "task_arithmetic",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: [],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "task_arithmetic");
    return { lambda: r.number("lambda", 1), weights: r.perModel("weights", inputCount, 1) };
  },
  apply(params, _stats, chunk, out) {
    basePlusWeightedDeltasInto(chunk.inputs, chunk.base!, params.weights, params.lambda, out, chunk.length);
  },
};
