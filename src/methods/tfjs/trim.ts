/** `trim(delta, density)` on tensors: keep |x| ≥ the scope's threshold (−0 of a trimmed negative becomes 0). */
import * as tf from "@tensorflow/tfjs-core";
import { trimKernel } from "../trim.js";
import { tfjsKernel } from "./kernel.js";
import { trimmed } from "./ties.js";

export const trimTfjsKernel = tfjsKernel(trimKernel, {
  deviceTemps: () => 6,
  series: (_params, _stage, _earlier, chunk) => [chunk.inputs[0]!.clone()],
  seriesTemps: () => 1,
  apply: (_params, stats, chunk) => tf.add(trimmed(chunk.inputs[0]!, stats![0]!), 0),
});
