import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";
import { modelStockRatio } from "../../src/methods/model-stock.js";

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);
const close = (actual: Float32Array, expected: number[]): void => {
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < 1e-6, `[${i}]: ${actual[i]} vs ${e}`));
};

test("slerp of orthogonal tensors follows the arc", () => {
  close(applyMethod("slerp", { t: 0.5 }, [f32([1, 0]), f32([0, 1])]), [Math.SQRT1_2, Math.SQRT1_2]);
  close(applyMethod("slerp", { t: 0 }, [f32([1, 0]), f32([0, 1])]), [1, 0]);
  const third = applyMethod("slerp", { t: 1 / 3 }, [f32([2, 0]), f32([0, 2])]);
  close(third, [2 * Math.cos(Math.PI / 6), 2 * Math.sin(Math.PI / 6)]);
});

test("slerp of parallel or zero tensors is linear", () => {
  close(applyMethod("slerp", { t: 0.25 }, [f32([1, 2]), f32([2, 4])]), [1.25, 2.5]);
  close(applyMethod("slerp", { t: 0.25 }, [f32([0, 0]), f32([2, 4])]), [0.5, 1]);
  assert.throws(() => applyMethod("slerp", {}, [f32([1]), f32([1]), f32([1])]), /exactly 2 models/);
});

test("model_stock interpolates towards the base by the angle between task vectors", () => {
  const base = f32([0, 0]);
  close(applyMethod("model_stock", {}, [f32([1, 0]), f32([0, 1])], base), [0, 0]); // orthogonal: t = 0
  close(applyMethod("model_stock", {}, [f32([1, 1]), f32([2, 2])], base), [1.5, 1.5]); // parallel: t = 1
  const c = Math.SQRT1_2;
  const t = (2 * c) / (1 + c);
  close(applyMethod("model_stock", {}, [f32([1, 0]), f32([1, 1])], base), [t, t * 0.5]);
  assert.equal(modelStockRatio(3, [1, 1, 1, 0, 0, 0]), 0);
});
