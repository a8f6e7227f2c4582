import { test } from "node:test";
import assert from "node:assert/strict";
import { type Matrix, columns, hconcat, multiply, orthonormalBasis, polarBordered, polarOfOrthonormalPair, zeros } from "../../src/linalg/index.js";
import { Random } from "../../src/util/random.js";
import { asRows, polar } from "./jacobi.js";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

/** max |structured(x, y) − polar([x y])| with the polar factor by one-sided Jacobi. */
function errorOf(structured: (x: Matrix, y: Matrix) => Matrix, x: Matrix, y: Matrix): number {
  const got = structured(x, y);
  const want = polar(asRows(hconcat([x, y]).data, x.rows, x.cols + y.cols));
  assert.equal(got.cols, x.cols + y.cols);
  let err = 0;
  want.forEach((row, i) => row.forEach((v, j) => (err = Math.max(err, Math.abs(v - got.data[i * got.cols + j]!)))));
  return err;
}

const error = (a: Matrix, b: Matrix): number => errorOf(polarBordered, a, b);
const pairError = (x: Matrix, y: Matrix): number => errorOf(polarOfOrthonormalPair, x, y);

test("polar factor of [A B] with B orthonormal: equal to the full polar factor", () => {
  for (const [n, s, k] of [
    [40, 6, 20], // room to spare
    [30, 10, 20], // square
    [30, 12, 5], // few common columns
    [25, 4, 0], // no B
  ] as const) {
    const b = orthonormalBasis(gaussian(n, Math.max(k, 1), 7 + n));
    const err = error(gaussian(n, s, n + s), columns(b, 0, k));
    assert.ok(err < 1e-9, `${n}×(${s}+${k}): ${err}`);
  }
});

test("polar factor of [A B]: A orthogonal to B, and a direction [A B] lacks", () => {
  const basis = orthonormalBasis(gaussian(30, 30, 3));
  // A inside B's complement: C = AᵀB = 0, no low-rank coupling.
  assert.ok(error(hconcat([columns(basis, 20, 26)]), columns(basis, 0, 20)) < 1e-9);
  // A's first column is one of B's: [A B] is rank-deficient and that direction is left out.
  const a = hconcat([columns(basis, 3, 4), gaussian(30, 4, 5)]);
  assert.ok(error(a, columns(basis, 0, 20)) < 1e-9);
});

test("polar factor of two orthonormal blocks: equal to the full polar factor", () => {
  for (const [n, k] of [
    [40, 8], // room to spare
    [30, 15], // square: [X Y] fills the space
    [12, 1],
  ] as const) {
    const err = pairError(orthonormalBasis(gaussian(n, k, n)), orthonormalBasis(gaussian(n, k, n + 1)));
    assert.ok(err < 1e-9, `${n}×(${k}+${k}): ${err}`);
  }
});

test("polar factor of two orthonormal blocks: orthogonal blocks, near and exactly shared directions", () => {
  const q = orthonormalBasis(gaussian(30, 30, 9));
  // Orthogonal blocks (C = 0, every γ = 0): the factor is [X Y] itself.
  assert.ok(pairError(columns(q, 0, 6), columns(q, 6, 12)) < 1e-9);
  // Y shares X's first direction exactly (γ = 1: that direction of [X Y] is left out) ...
  const y = hconcat([columns(q, 0, 1), columns(q, 10, 15)]);
  assert.ok(pairError(columns(q, 0, 6), y) < 1e-9);
  // ... and nearly (γ close to 1, kept).
  const tilt = orthonormalBasis(hconcat([multiply(hconcat([columns(q, 0, 1), columns(q, 20, 21)]), { rows: 2, cols: 1, data: Float64Array.of(1, 1e-3) }), columns(q, 10, 15)]));
  assert.ok(pairError(columns(q, 0, 6), tilt) < 1e-8);
});
