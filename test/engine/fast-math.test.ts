import { test } from "node:test";
import assert from "node:assert/strict";
import { fastExp, fastTanh } from "../../src/engine/kernels/fast-math.js";

function maxRelativeError(f: (x: number) => number, g: (x: number) => number, xs: number[]): number {
  let worst = 0;
  for (const x of xs) {
    const e = g(x);
    const err = e === 0 ? Math.abs(f(x)) : Math.abs(f(x) - e) / Math.abs(e);
    worst = Math.max(worst, err);
  }
  return worst;
}

const grid = (lo: number, hi: number, n: number): number[] => Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);

test("fastExp matches Math.exp to 1e-10 where PCB uses it, and falls back elsewhere", () => {
  assert.ok(maxRelativeError(fastExp, Math.exp, grid(0, 88, 100_000)) < 1e-10);
  assert.ok(maxRelativeError(fastExp, Math.exp, [...grid(-5, 0, 1000), 89, 700, NaN].filter((x) => !Number.isNaN(x))) < 1e-15);
  assert.equal(fastExp(0), 1);
  assert.ok(Number.isNaN(fastExp(NaN)));
});

test("fastTanh matches Math.tanh to 1e-10 everywhere", () => {
  assert.ok(maxRelativeError(fastTanh, Math.tanh, [...grid(-0.07, 0.07, 100_000), 1e-30, -1e-300, 5, -20]) < 1e-10);
  assert.ok(Object.is(fastTanh(-0), -0));
  assert.ok(Number.isNaN(fastTanh(NaN)));
});
