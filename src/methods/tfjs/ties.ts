/**
 * `ties` on tensors (spec §6), the CPU kernel's arithmetic step by step: trim each δᵢ at its scope
 * threshold (|δ| ≥ t keeps, so ties at the threshold are kept), elect the sign of Σ wᵢ·kept δᵢ (or
 * of Σ sign, "count"; 0 elects +1), and average the agreeing deltas. Trimmed deltas are recomputed
 * in the second loop instead of kept, so memory does not grow with the number of models. The vote
 * is summed with compensation, so that its sign is the one the CPU kernel's float64 sum gives.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { TrimThresholds } from "../shared/trim-threshold.js";
import { agreementSigns } from "../shared/sparse-merge.js";
import { type TiesParams, tiesKernel } from "../ties.js";
import { type TensorChunk, tfjsKernel } from "./kernel.js";
import { type T1, compensatedSumOver, delta, electedSign, mask, sumOver, sumPairOver } from "./ops.js";

/** δ where |δ| ≥ threshold, else 0 (NaN keeps nothing, as on the CPU). */
export function trimmed(d: T1, threshold: number): T1 {
  return tf.mul(d, mask(tf.greaterEqual(tf.abs(d), threshold)));
}

export function tiesMergeTensors(params: TiesParams, thresholds: TrimThresholds, chunk: TensorChunk): T1 {
  const { inputs, length } = chunk;
  const base = chunk.base!;
  const n = inputs.length;
  const kept = (i: number): T1 => trimmed(delta(inputs[i]!, base), thresholds[i]!);
  // The sign factor of each delta under the agreement rule (ties.ts).
  const signs = agreementSigns(params.weights, params.agreement);
  const vote =
    params.consensus === "count"
      ? sumOver(n, length, (i) => tf.mul(tf.sign(kept(i)), signs[i]!))
      : compensatedSumOver(n, length, (i) => tf.mul(kept(i), params.weights[i]!));
  const elected = electedSign(vote);
  vote.dispose();
  const [num, den] = sumPairOver(n, length, (i) => {
    const k = kept(i);
    // k·(±1) > 0: the signs agree (exact, no underflow); a NaN vote (sign 0) agrees with nothing.
    const a = tf.mul(mask(tf.greater(tf.mul(tf.mul(k, signs[i]!), elected), 0)), params.weights[i]!);
    return [tf.mul(a, k), a];
  });
  elected.dispose();
  const tau = params.normalize ? tf.div(num, tf.add(den, mask(tf.equal(den, 0)))) : num;
  return tf.add(base, tf.mul(tau, params.lambda));
}

export const tiesTfjsKernel = tfjsKernel(tiesKernel, {
  deviceTemps: () => 17,
  series: (_params, _stage, _earlier, chunk) => chunk.inputs.map((m) => delta(m, chunk.base!)),
  seriesTemps: (n) => n,
  apply: (params, stats, chunk) => tiesMergeTensors(params, stats!, chunk),
});
