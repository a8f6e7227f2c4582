/** `task_arithmetic` on tensors: base + lambda · Σ wᵢ·(mᵢ − base). */
import * as tf from "@tensorflow/tfjs-core";
import { taskArithmeticKernel } from "../task-arithmetic.js";
import { tfjsKernel } from "./kernel.js";
import { delta, sumOver } from "./ops.js";

export const taskArithmeticTfjsKernel = tfjsKernel(taskArithmeticKernel, {
  deviceTemps: () => 5,
  apply(params, _stats, chunk) {
    const base = chunk.base!;
    const sum = sumOver(chunk.inputs.length, chunk.length, (i) => tf.mul(delta(chunk.inputs[i]!, base), params.weights[i]!));
    return tf.add(base, tf.mul(sum, params.lambda));
  },
});
