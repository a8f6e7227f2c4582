import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { dense, relu, softmaxCrossEntropy, useCpuBackend } from "../../bench/quality/autograd.js";
import { Rng } from "../../bench/quality/random.js";
import { fineTuneEncoder, pretrainEncoder } from "../../bench/quality/train.js";
import { initEncoder, initHead } from "../../bench/quality/weights.js";
import { encodeRows } from "../../bench/quality/network.js";

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape, "float32");
}

/** Compares tfjs's gradient of f at each variable with central finite differences. */
function checkGradients(f: () => tf.Scalar, vars: tf.Variable[]): void {
  const { grads } = tf.variableGrads(f, vars);
  const h = 1e-2;
  for (const v of vars) {
    const g = grads[v.name]!.dataSync();
    const base = Float32Array.from(v.dataSync());
    for (let i = 0; i < base.length; i++) {
      const at = (d: number): number => {
        const x = Float32Array.from(base);
        x[i]! += d;
        v.assign(tf.tensor(x, v.shape));
        return f().dataSync()[0]!;
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      assert.ok(Math.abs(numeric - g[i]!) < 2e-3 + 2e-2 * Math.abs(numeric), `${v.name}[${i}]: analytic ${g[i]} vs numeric ${numeric}`);
    }
  }
}

test("dense, relu and softmax cross-entropy have the right gradients", async () => {
  await useCpuBackend();
  const rng = new Rng(3);
  tf.tidy(() => {
    const x = tf.variable(randomTensor([4, 3], rng), true, "x");
    const w = tf.variable(randomTensor([5, 3], rng), true, "w");
    const b = tf.variable(randomTensor([5], rng), true, "b");
    const w2 = tf.variable(randomTensor([3, 5], rng), true, "w2");
    const b2 = tf.variable(randomTensor([3], rng), true, "b2");
    const y = tf.cast(tf.oneHot(tf.tensor1d([0, 2, 1, 2], "int32"), 3), "float32") as tf.Tensor2D;
    const f = () => softmaxCrossEntropy(dense(relu(dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)), w2 as tf.Tensor2D, b2 as tf.Tensor1D), y);
    checkGradients(f, [x, w, b, w2, b2]);
  });
});

test("dense computes x·Wᵀ + b with W stored [out, in]", async () => {
  await useCpuBackend();
  const out = dense(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0], [0, 1], [1, 1]]), tf.tensor1d([0.5, 0, -1]));
  assert.deepEqual([...out.dataSync()], [1.5, 2, 2]);
});

test("cross-entropy of uniform logits is ln(classes)", async () => {
  await useCpuBackend();
  const v = softmaxCrossEntropy(tf.zeros([2, 10]) as tf.Tensor2D, tf.cast(tf.oneHot(tf.tensor1d([3, 7], "int32"), 10), "float32") as tf.Tensor2D);
  assert.ok(Math.abs(v.dataSync()[0]! - Math.log(10)) < 1e-6);
});

/** A separable toy task: the label is which input is largest. */
function toyData(n: number, width: number, rng: Rng) {
  const inputs = Float32Array.from({ length: n * width }, () => rng.normal());
  const labels = Uint8Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let k = 1; k < width; k++) if (inputs[r * width + k]! > inputs[r * width + best]!) best = k;
    return best;
  });
  return { count: n, width, inputs, labels, sources: Int32Array.from({ length: n }, (_, i) => i) };
}

test("training steps lower the loss, leave the frozen head alone, and repeat exactly with the same seed", async () => {
  await useCpuBackend();
  const data = toyData(128, 4, new Rng(1));
  const encoder = initEncoder([4, 8, 6], new Rng(2));
  const head = initHead("toy", 6, 4, new Rng(3));
  const settings = { epochs: 8, batchSize: 32, optimizer: { kind: "momentum" as const, learningRate: 0.05, momentum: 0.9 } };
  const a = fineTuneEncoder(encoder, head, "toy", data, 4, settings, new Rng(4));
  const b = fineTuneEncoder(encoder, head, "toy", data, 4, settings, new Rng(4));
  assert.ok(a.curve[a.curve.length - 1]! < a.curve[0]! * 0.8, `loss ${a.curve.join(" → ")}`);
  assert.deepEqual(a.curve, b.curve);
  for (const [name, t] of a.encoder) assert.deepEqual(t.data, b.encoder.get(name)!.data);
  // The input encoder is not modified in place.
  assert.deepEqual(encoder.get("encoder.layers.0.weight")!.data, initEncoder([4, 8, 6], new Rng(2)).get("encoder.layers.0.weight")!.data);
  assert.equal(encodeRows(a.encoder, data).width, 6);
});

test("pre-training trains the encoder and its classifier from the seed alone", async () => {
  await useCpuBackend();
  const data = toyData(96, 4, new Rng(6));
  const settings = { epochs: 6, batchSize: 32, optimizer: { kind: "adam" as const, learningRate: 0.02 } };
  const a = pretrainEncoder([4, 8, 6], data, 4, settings, new Rng(7));
  const b = pretrainEncoder([4, 8, 6], data, 4, settings, new Rng(7));
  assert.deepEqual([...a.encoder.keys()], ["encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.1.weight", "encoder.layers.1.bias"]);
  assert.deepEqual([...a.classifier.keys()], ["heads.pretraining.weight", "heads.pretraining.bias"]);
  assert.deepEqual(a.classifier.get("heads.pretraining.weight")!.shape, [4, 6]);
  assert.ok(a.curve[a.curve.length - 1]! < a.curve[0]!, `loss ${a.curve.join(" → ")}`);
  assert.deepEqual(a.curve, b.curve);
  assert.throws(() => pretrainEncoder([5, 8, 6], data, 4, settings, new Rng(7)), /input size 5 does not match the data's 4/);
});
