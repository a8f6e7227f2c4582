import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

test("linear averages models, weighted and normalised", () => {
  const a = f32([1, 2, -4]);
  const b = f32([3, 6, 4]);
  assert.deepEqual([...applyMethod("linear", {}, [a, b])], [2, 4, 0]);
  assert.deepEqual([...applyMethod("linear", { weights: [3, 1] }, [a, b])], [1.5, 3, -2]);
  assert.deepEqual([...applyMethod("linear", { weights: [3, 1], normalize: false }, [a, b])], [6, 12, -8]);
  assert.throws(() => applyMethod("linear", { weights: [1, -1] }, [a, b]), /weights sum to 0/);
});

test("task_arithmetic adds the weighted task vectors times lambda", () => {
  const base = f32([1, 1, 1]);
  const a = f32([2, 0, 1]); // δ = [1, −1, 0]
  const b = f32([1, 3, 5]); // δ = [0, 2, 4]
  assert.deepEqual([...applyMethod("task_arithmetic", {}, [a, b], base)], [2, 2, 5]);
  assert.deepEqual([...applyMethod("task_arithmetic", { lambda: 0.5, weights: [2, 1] }, [a, b], base)], [2, 1, 3]);
});

test("elect and disjoint_mean on deltas", () => {
  const d1 = f32([1, -2, 0, 3]);
  const d2 = f32([-3, -1, 0, 1]);
  const d3 = f32([1, 4, 0, -1]);
  // sums [−1, 1, 0, 3] → [−, +, + (0), +]; counts [1, −1, 0, 1] → [+, −, +, +]
  assert.deepEqual([...applyMethod("elect", {}, [d1, d2, d3])], [-1, 1, 1, 1]);
  assert.deepEqual([...applyMethod("elect", { consensus: "count" }, [d1, d2, d3])], [1, -1, 1, 1]);
  // γ by sum: j0 − → −3; j1 + → 4; j2 nothing agrees → 0; j3 + → (3 + 1)/2
  assert.deepEqual([...applyMethod("disjoint_mean", {}, [d1, d2, d3])], [-3, 4, 0, 2]);
  const sign = f32([1, -1, 1, -1]);
  assert.deepEqual([...applyMethod("disjoint_mean", { sign: true }, [d1, d2, d3, sign])], [1, -1.5, 0, -1]);
});

test("trim keeps every element tied with the k-th largest magnitude, and nothing at k = 0", () => {
  const d = f32([0.5, -2, 2, 1, -2, 0]);
  assert.deepEqual([...applyMethod("trim", { density: 0.34 }, [d])], [0, -2, 2, 0, -2, 0]); // k = 2, three tied
  assert.deepEqual([...applyMethod("trim", { density: 0.1 }, [d])], [0, 0, 0, 0, 0, 0]); // k = 0
  assert.deepEqual([...applyMethod("trim", { density: 1 }, [d])], [...d]);
});
