import { test } from "node:test";
import assert from "node:assert/strict";
import { EigenvalueDecomposition, Matrix as MlMatrix } from "ml-matrix";
import { type Matrix, multiply, symmetricEigen, zeros } from "../../src/linalg/index.js";
import { symmetricEigenRows } from "../../src/linalg/symmetric-eigen.js";
import { Random } from "../../src/util/random.js";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

/** max |G·v − λ·v| over all pairs and max |VᵀV − I|, relative to ‖G‖ (the largest |λ|). */
function errors(g: Matrix, values: Float64Array, v: Matrix): { residual: number; orthogonality: number } {
  const n = g.rows;
  const gv = multiply(g, v);
  const vtv = multiply(v, v, true, false);
  const norm = Math.max(...values.map(Math.abs), 1e-300);
  let residual = 0;
  let orthogonality = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      residual = Math.max(residual, Math.abs(gv.data[i * n + j]! - values[j]! * v.data[i * n + j]!) / norm);
      orthogonality = Math.max(orthogonality, Math.abs(vtv.data[i * n + j]! - (i === j ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

function mlValues(g: Matrix): number[] {
  const m = new MlMatrix(g.rows, g.cols);
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) m.set(i, j, g.data[i * g.cols + j]!);
  return [...new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues].sort((x, y) => y - x);
}

const cases: Array<[string, () => Matrix]> = [
  ["random symmetric 97×97", () => {
    const a = gaussian(97, 97, 1);
    return multiply(a, a, false, true);
  }],
  ["Gram matrix of rank 12 (85 zero eigenvalues)", () => multiply(gaussian(97, 12, 2), gaussian(97, 12, 2), false, true)],
  ["indefinite with repeated eigenvalues", () => {
    const n = 64;
    const g = zeros(n, n);
    for (let i = 0; i < n; i++) g.data[i * n + i] = i % 3 === 0 ? -2 : 5;
    const q = multiply(gaussian(n, n, 3), gaussian(n, n, 3), true, false);
    return { rows: n, cols: n, data: g.data.map((x, k) => x + 1e-3 * q.data[k]!) };
  }],
  ["1×1 and the zero matrix", () => zeros(5, 5)],
];

for (const [name, make] of cases) {
  test(`symmetric eigendecomposition: ${name}`, () => {
    const g = make();
    const { values, vectors } = symmetricEigen(g);
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! >= values[i]!, "eigenvalues descend");
    const { residual, orthogonality } = errors(g, values, vectors);
    assert.ok(residual < 1e-12 || Math.max(...values.map(Math.abs)) === 0, `residual ${residual}`);
    assert.ok(orthogonality < 1e-12, `orthogonality ${orthogonality}`);
    // The same eigenvalues as ml-matrix's JAMA port (same algorithm, same operations).
    const ml = mlValues(g);
    values.forEach((x, i) => assert.ok(Math.abs(x - ml[i]!) <= 1e-12 * Math.max(1, Math.abs(ml[0]!)), `λ${i}: ${x} vs ${ml[i]}`));
  });
}

test("symmetric eigendecomposition of a 1×1 matrix", () => {
  const { values, vectors } = symmetricEigen({ rows: 1, cols: 1, data: Float64Array.of(-3) });
  assert.deepEqual([...values], [-3]);
  assert.deepEqual([...vectors.data].map(Math.abs), [1]);
});

test("the WebAssembly loops give the JavaScript loops' bits", () => {
  const a = gaussian(67, 67, 9);
  const g = multiply(a, a, false, true);
  const wasm = symmetricEigenRows(g.data, 67, true);
  const js = symmetricEigenRows(g.data, 67, false);
  assert.deepEqual(Buffer.from(wasm.d.buffer, wasm.d.byteOffset, wasm.d.byteLength), Buffer.from(js.d.buffer, js.d.byteOffset, js.d.byteLength));
  assert.deepEqual(Buffer.from(wasm.w.buffer, wasm.w.byteOffset, wasm.w.byteLength), Buffer.from(js.w.buffer, js.w.byteOffset, js.w.byteLength));
});
