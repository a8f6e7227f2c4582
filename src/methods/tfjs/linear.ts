/** `linear` on tensors: Σ coefᵢ·mᵢ with the CPU kernel's normalised coefficients. */
import * as tf from "@tensorflow/tfjs-core";
import { linearKernel } from "../linear.js";
import { tfjsKernel } from "./kernel.js";
import { sumOver } from "./ops.js";

export const linearTfjsKernel = tfjsKernel(linearKernel, {
  deviceTemps: () => 4,
  apply: (params, _stats, chunk) => sumOver(chunk.inputs.length, chunk.length, (i) => tf.mul(chunk.inputs[i]!, params.coefs[i]!)),
});
