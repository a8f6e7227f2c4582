import { test } from "node:test";
import assert from "node:assert/strict";
import { loadMnistDigits } from "../../bench/quality/digits.js";
import { DEFAULT_CONFIG } from "../../bench/quality/config.js";
import { accuracy, averageAccuracy, normalisedAccuracy } from "../../bench/quality/metrics.js";
import { predictClasses } from "../../bench/quality/network.js";
import { splitDigits } from "../../bench/quality/split.js";
import type { Weights } from "../../bench/quality/weights.js";
import { useCpuBackend } from "../../bench/quality/autograd.js";

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

/** An identity encoder on `width` inputs (one layer, W = I, b = 0). */
function identityEncoder(width: number): Weights {
  const w = new Array(width * width).fill(0);
  for (let i = 0; i < width; i++) w[i * width + i] = 1;
  return new Map([["encoder.layers.0.weight", t([width, width], w)], ["encoder.layers.0.bias", t([width], new Array(width).fill(0))]]);
}

/** A head that ignores its features and always says `cls`. */
function constantHead(task: string, width: number, cls: number): Weights {
  const bias = new Array(10).fill(0);
  bias[cls] = 1;
  return new Map([[`heads.${task}.weight`, t([10, width], new Array(10 * width).fill(0))], [`heads.${task}.bias`, t([10], bias)]]);
}

test("a model that always predicts one class scores that class's share: chance on the balanced test split", async () => {
  await useCpuBackend();
  const { labels } = loadMnistDigits();
  const testIdx = splitDigits(labels, DEFAULT_CONFIG.fractions, DEFAULT_CONFIG.seed).test;
  const testLabels = Uint8Array.from(testIdx, (i) => labels[i]!);
  const rows = { count: testLabels.length, width: 4, inputs: new Float32Array(testLabels.length * 4).fill(0.5) };
  for (let cls = 0; cls < 10; cls++) {
    const predictions = predictClasses(identityEncoder(4), constantHead("x", 4, cls), "x", rows);
    assert.ok(predictions.every((p) => p === cls));
    const share = testLabels.filter((l) => l === cls).length / testLabels.length;
    assert.equal(accuracy(predictions, testLabels), share);
    assert.ok(Math.abs(share - 0.1) < 0.015, `class ${cls} share ${share}`);
  }
});

test("a perfect predictor scores 1, a fully wrong one 0", async () => {
  await useCpuBackend();
  // Inputs are one-hot labels; identity encoder and identity head read them back.
  const labels = Uint8Array.from({ length: 50 }, (_, i) => (i * 7) % 10);
  const inputs = new Float32Array(50 * 10);
  labels.forEach((l, r) => (inputs[r * 10 + l] = 1));
  const headW = new Array(100).fill(0);
  for (let i = 0; i < 10; i++) headW[i * 10 + i] = 1;
  const head: Weights = new Map([["heads.x.weight", t([10, 10], headW)], ["heads.x.bias", t([10], new Array(10).fill(0))]]);
  const predictions = predictClasses(identityEncoder(10), head, "x", { count: 50, width: 10, inputs });
  assert.deepEqual(predictions, labels);
  assert.equal(accuracy(predictions, labels), 1);
  assert.equal(accuracy(labels.map((l) => (l + 1) % 10), labels), 0);
});

test("accuracy refuses mismatched or empty inputs", () => {
  assert.throws(() => accuracy([1, 2], [1]), /2 predictions for 1 labels/);
  assert.throws(() => accuracy([], []), /empty/);
});

test("average and normalised accuracy as in the papers' tables", () => {
  const tasks = ["a", "b"];
  const fineTuned = { a: 0.8, b: 0.5 };
  assert.equal(averageAccuracy({ a: 0.6, b: 0.4 }, tasks), 0.5);
  assert.equal(normalisedAccuracy(fineTuned, fineTuned, tasks), 1);
  // (0.4/0.8 + 0.5/0.5) / 2
  assert.equal(normalisedAccuracy({ a: 0.4, b: 0.5 }, fineTuned, tasks), 0.75);
  assert.throws(() => averageAccuracy({ a: 1 }, tasks), /no score for task "b"/);
  assert.throws(() => normalisedAccuracy({ a: 1, b: 1 }, { a: 0, b: 1 }, tasks), /cannot normalise/);
});

test("predictions check that encoder, head and inputs fit together", async () => {
  await useCpuBackend();
  const rows = { count: 2, width: 3, inputs: new Float32Array(6) };
  assert.throws(() => predictClasses(identityEncoder(4), constantHead("x", 4, 0), "x", rows), /takes 4 inputs but the rows have 3/);
  assert.throws(() => predictClasses(identityEncoder(3), constantHead("x", 4, 0), "x", rows), /head "x" takes 4 features but the encoder gives 3/);
  assert.throws(() => predictClasses(identityEncoder(3), constantHead("x", 3, 0), "y", rows), /no head for task "y"/);
});
