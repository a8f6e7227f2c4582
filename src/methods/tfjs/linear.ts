/**
 * `linear` on tensors: Σ coefᵢ·mᵢ with the CPU kernel's normalised coefficients. A 16-bit
 * `precision` (PyTorch's rounding steps, which tfjs has no dtype for) runs the CPU arithmetic on the
 * chunk's values, so both backends give the same bits.
 */
import * as tf from "@tensorflow/tfjs-core";
import { linearKernel, roundedLinear } from "../linear.js";
import { tfjsKernel } from "./kernel.js";
import { sumOver } from "./ops.js";

export const linearTfjsKernel = tfjsKernel(linearKernel, {
  deviceTemps: () => 4,
  apply: (params, _stats, chunk) => {
    if (params.precision === "f32") return sumOver(chunk.inputs.length, chunk.length, (i) => tf.mul(chunk.inputs[i]!, params.coefs[i]!));
    const inputs = chunk.inputs.map((x) => x.dataSync() as Float32Array);
    const out = new Float32Array(chunk.length);
    roundedLinear(params, { inputs, base: null, length: chunk.length, offset: chunk.offset, rowLength: chunk.rowLength }, out, new Float32Array(chunk.length), new Uint16Array(chunk.length));
    return tf.tensor1d(out, "float32");
  },
});
