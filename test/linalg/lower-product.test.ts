/**
 * The lower triangle of a square product by strips (src/linalg/lower-product.ts), and the Gram
 * matrix built on it (gramOf): the entries kept are the full product's, the Gram matrix is exactly
 * symmetric, with float64 and float32 products.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gramOf, matMulFloat32, productFloat64, setProductKernel, useFastProducts } from "../../src/linalg/matmul.js";
import { lowerProduct, stripsFor } from "../../src/linalg/lower-product.js";
import { type Matrix, zeros } from "../../src/linalg/matrix.js";
import { Random } from "../../src/util/random.js";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

test("strips: one below 256, two to 1023, four from 1024", () => {
  assert.deepEqual([1, 255, 256, 1023, 1024, 4096].map(stripsFor), [1, 1, 2, 2, 4, 4]);
});

test("lowerProduct keeps the full product's lower triangle, strip for strip, and computes less above it", () => {
  for (const [n, k, strips] of [[10, 3, 3], [37, 5, 4], [64, 64, 7], [5, 2, 9]] as const) {
    const a = gaussian(n, k, n);
    const b = gaussian(k, n, k);
    const full = productFloat64(a.data, n, k, b.data, n);
    const lower = lowerProduct(productFloat64, a.data, n, k, b.data, strips);
    let zerosAbove = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j <= i) assert.equal(lower[i * n + j], full[i * n + j], `(${i}, ${j}) of ${n}×${k}×${n}, ${strips} strips`);
        else if (lower[i * n + j] === 0) zerosAbove++;
        else assert.equal(lower[i * n + j], full[i * n + j], `(${i}, ${j}) above the diagonal, inside its strip`);
      }
    }
    if (strips > 1 && n > strips) assert.ok(zerosAbove > 0, "the blocks above the strips are skipped");
  }
});

test("gramOf is xᵀx, exactly symmetric (float64 and float32 products)", async () => {
  const x = gaussian(300, 260, 3);
  const reference = (i: number, j: number): number => {
    let s = 0;
    for (let p = 0; p < 300; p++) s += x.data[p * 260 + i]! * x.data[p * 260 + j]!;
    return s;
  };
  const check = (g: Matrix, tolerance: number): void => {
    assert.equal(g.rows, 260);
    assert.equal(g.cols, 260);
    for (let i = 0; i < 260; i++) {
      for (let j = 0; j < 260; j++) {
        assert.equal(g.data[i * 260 + j], g.data[j * 260 + i], `symmetric at (${i}, ${j})`);
        assert.ok(Math.abs(g.data[i * 260 + j]! - reference(i, j)) <= tolerance, `(${i}, ${j})`);
      }
    }
  };
  check(gramOf(x), 1e-9);
  if ((await useFastProducts()) === "float32") {
    try {
      setProductKernel("float32");
      check(gramOf(x), 1e-3);
    } finally {
      setProductKernel("js");
    }
  }
  assert.deepEqual(gramOf(zeros(0, 4)), zeros(4, 4));
  const f32 = lowerProduct(matMulFloat32, new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array([1, 0, 0, 1]), 2);
  assert.ok(f32 instanceof Float32Array);
});
