import { test } from "node:test";
import assert from "node:assert/strict";
import { processingOrder } from "../../src/engine/tensor-order.js";
import { PREFETCH_MAX_ELEMENTS } from "../../src/engine/prefetch.js";
import type { FamilyTensor } from "../../src/engine/model-set.js";

const tensor = (name: string, numel: number, float = true): FamilyTensor => ({ name, shape: [numel], numel, dtype: float ? "BF16" : "I64", float });
const big = PREFETCH_MAX_ELEMENTS + 1;

test("large tensors are spread among the small ones, never first nor side by side; the rest keep their order", () => {
  const tensors = [tensor("lm_head", big), tensor("embed", big), tensor("a", 10), tensor("b", 10), tensor("c", 10), tensor("d", 10)];
  assert.deepEqual(processingOrder(tensors).map((t) => t.name), ["a", "lm_head", "b", "c", "embed", "d"]);
  const one = [tensor("embed", big), tensor("a", 10)];
  assert.deepEqual(processingOrder(one).map((t) => t.name), ["a", "embed"]);
});

test("without large tensors, or with only large or non-float ones, the order is the file's", () => {
  const small = [tensor("b", 10), tensor("a", 10), tensor("ids", big, false)];
  assert.deepEqual(processingOrder(small).map((t) => t.name), ["b", "a", "ids"]);
  const large = [tensor("x", big), tensor("y", big)];
  assert.deepEqual(processingOrder(large).map((t) => t.name), ["x", "y"]);
});
