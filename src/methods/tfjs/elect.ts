/** `elect(d...)` on tensors: ±1, the sign of Σ dᵢ ("sum") or of Σ sign dᵢ ("count"); 0 elects +1. */
import * as tf from "@tensorflow/tfjs-core";
import { electKernel } from "../elect.js";
import { tfjsKernel } from "./kernel.js";
import { compensatedSumOver, mask, sumOver } from "./ops.js";

export const electTfjsKernel = tfjsKernel(electKernel, {
  deviceTemps: () => 17,
  apply(params, _stats, chunk) {
    const { inputs, length } = chunk;
    const vote =
      params.consensus === "count"
        ? sumOver(inputs.length, length, (i) => tf.sign(inputs[i]!))
        : compensatedSumOver(inputs.length, length, (i) => inputs[i]!.clone());
    // NaN votes give −1, as on the CPU (`vote >= 0 ? 1 : -1`).
    return tf.sub(tf.mul(mask(tf.greaterEqual(vote, 0)), 2), 1);
  },
});
