/**
 * `disjoint_mean(d..., sign?)` on tensors: the mean of the deltas whose sign agrees with the elected
 * sign (the sign input, else the sign of Σ dᵢ), 0 where none agrees. Non-agreeing elements are
 * selected away (never multiplied by 0), so a NaN that does not agree stays out, as on the CPU.
 */
import * as tf from "@tensorflow/tfjs-core";
import { disjointMeanKernel } from "../disjoint-mean.js";
import { tfjsKernel } from "./kernel.js";
import { compensatedSumOver, mask, sumPairOver } from "./ops.js";

export const disjointMeanTfjsKernel = tfjsKernel(disjointMeanKernel, {
  deviceTemps: () => 17,
  apply(params, _stats, chunk) {
    const { inputs, length } = chunk;
    const n = params.signInput ? inputs.length - 1 : inputs.length;
    const positive = params.signInput
      ? tf.greaterEqual(inputs[n]!, 0)
      : tf.tidy(() => tf.greaterEqual(compensatedSumOver(n, length, (i) => inputs[i]!.clone()), 0));
    const zero = tf.zeros([length], "float32");
    const [sum, count] = sumPairOver(n, length, (i) => {
      const d = inputs[i]!;
      const agrees = tf.where(positive, tf.greater(d, 0), tf.less(d, 0));
      return [tf.where(agrees, d, zero), mask(agrees)];
    });
    // count is 0 only where sum is 0: dividing by max(count, 1) gives 0 there.
    return tf.div(sum, tf.maximum(count, 1));
  },
});
