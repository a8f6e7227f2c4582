/**
 * The product thread (src/linalg/product-thread.ts): products cut between two threads give exactly
 * the bits of one thread's product, at the shapes the spectral methods use (tall, wide, odd), and the
 * eigendecomposition through them is unchanged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { hasProductThread, matMulFloat32, multiply, productFloat64, setProductSplitting, useFastProducts } from "../../src/linalg/matmul.js";
import { SPLIT_MIN_VOLUME } from "../../src/linalg/product-thread.js";
import { symmetricEigen } from "../../src/linalg/eigen.js";
import { Random } from "../../src/util/random.js";

const multiCore = availableParallelism() > 1;
const skip = multiCore ? false : "the product thread runs on machines with more than one core";

function randomF32(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

test("a product cut between the two threads has the bits of the one-thread product", { skip }, async () => {
  assert.equal(await useFastProducts(), "float32");
  assert.ok(hasProductThread(), "useFastProducts starts the product thread on a multi-core machine");
  for (const [m, k, n] of [[512, 512, 512], [513, 300, 257], [2, 8192, 4096], [1001, 999, 40], [4096, 96, 128]] as const) {
    assert.ok(m * k * n >= SPLIT_MIN_VOLUME, `${m}×${k}×${n} is split`);
    const a = randomF32(m * k, m + k);
    const b = randomF32(k * n, n);
    setProductSplitting(false);
    const one = matMulFloat32(a, m, k, b, n);
    setProductSplitting(true);
    const two = matMulFloat32(a, m, k, b, n);
    assert.equal(two.length, m * n);
    assert.deepEqual(new Uint32Array(two.buffer), new Uint32Array(one.buffer), `${m}×${k}·${k}×${n}`);
  }
});

test("multiply and the eigendecomposition through the product thread agree with float64 and with one thread", { skip }, async () => {
  await useFastProducts();
  const n = 800;
  const r = new Random(9);
  const x = { rows: n, cols: n, data: Float64Array.from({ length: n * n }, () => r.normal()) };
  const want = productFloat64(x.data, n, n, x.data, n);
  const got = multiply(x, x);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got.data[i]! - want[i]!));
  assert.ok(worst < 1e-3, `largest difference from float64 ${worst}`);
  const g = multiply(x, x, true, false);
  setProductSplitting(false);
  const one = symmetricEigen(g);
  setProductSplitting(true);
  const two = symmetricEigen(g);
  assert.deepEqual(two.values, one.values);
  assert.deepEqual(two.vectors.data, one.vectors.data);
});
