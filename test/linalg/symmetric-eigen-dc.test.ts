import { test } from "node:test";
import assert from "node:assert/strict";
import { type Matrix, multiply, setEigenSolver, setProductKernel, symmetricEigen, useFastProducts, zeros } from "../../src/linalg/index.js";
import { matMulFloat32, productFast, productFloat64 } from "../../src/linalg/matmul.js";
import { symmetricEigenRows } from "../../src/linalg/symmetric-eigen.js";
import { symmetricEigenDc } from "../../src/linalg/symmetric-eigen-dc.js";
import { DC_CUTOFF, type FlatProduct, tridiagonalEigen } from "../../src/linalg/tridiagonal-dc.js";
import { tridiagonalizeBlocked, tridiagonalizeBlocked32 } from "../../src/linalg/tridiagonalize-blocked.js";
import { isoCMerge, isoCtsMerge } from "../../src/methods/iso.js";
import { tsvMerge } from "../../src/methods/tsv.js";
import { Random } from "../../src/util/random.js";

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

function square(n: number, entry: (i: number, j: number) => number): Matrix {
  const a = zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a.data[i * n + j] = entry(i, j);
  return a;
}

const gram = (a: Matrix): Matrix => multiply(a, a, false, true);
const wilkinson = (n: number): Matrix => square(n, (i, j) => (i === j ? Math.abs((n - 1) / 2 - i) : Math.abs(i - j) === 1 ? 1 : 0));

/**
 * Eigenvalue error against QL (relative to ‖A‖), max |VᵀV − I| and max |A·v − λ·v| / ‖A‖ over the
 * columns of `vectors` (n×cols, column j belonging to values[j]), in float64.
 */
function errors(a: Matrix, values: Float64Array, vectors: Float64Array, cols = a.rows): { values: number; orthogonality: number; residual: number } {
  const n = a.rows;
  const ref = [...symmetricEigenRows(a.data, n).d].sort((x, y) => x - y);
  const got = [...values].sort((x, y) => x - y);
  const norm = Math.max(1e-300, ...ref.map(Math.abs));
  let valueError = 0;
  for (let i = 0; i < n; i++) valueError = Math.max(valueError, Math.abs(ref[i]! - got[i]!) / norm);
  const vt = new Float64Array(cols * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) vt[j * n + i] = vectors[i * cols + j]!;
  const vtv = productFloat64(vt, cols, n, vectors, cols);
  const av = productFloat64(a.data, n, n, vectors, cols); // column j = A·v_j
  let orthogonality = 0;
  let residual = 0;
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) orthogonality = Math.max(orthogonality, Math.abs(vtv[i * cols + j]! - (i === j ? 1 : 0)));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols; j++) residual = Math.max(residual, Math.abs(av[i * cols + j]! - values[j]! * vectors[i * cols + j]!) / norm);
  }
  return { values: valueError, orthogonality, residual };
}

const cases: Array<[string, () => Matrix]> = [
  ["1×1", () => square(1, () => -3)],
  ["2×2", () => square(2, (i, j) => (i === j ? 1 + i : 0.5))],
  ["random 97×97 Gram", () => gram(gaussian(97, 97, 1))],
  [`random, one below the cutoff (${DC_CUTOFF - 1})`, () => gram(gaussian(DC_CUTOFF - 1, DC_CUTOFF - 1, 2))],
  [`random, at the cutoff (${DC_CUTOFF})`, () => gram(gaussian(DC_CUTOFF, DC_CUTOFF, 3))],
  [`random, one above the cutoff (${DC_CUTOFF + 1})`, () => gram(gaussian(DC_CUTOFF + 1, DC_CUTOFF + 1, 4))],
  ["random indefinite 200×200", () => {
    const g = gaussian(200, 200, 5);
    return square(200, (i, j) => g.data[i * 200 + j]! + g.data[j * 200 + i]!);
  }],
  ["Gram of rank 10 (140 zero eigenvalues)", () => gram(gaussian(150, 10, 6))],
  ["identity plus rank one", () => {
    const v = gaussian(120, 1, 7).data;
    return square(120, (i, j) => (i === j ? 1 : 0) + v[i]! * v[j]!);
  }],
  ["Wilkinson W21+", () => wilkinson(21)],
  ["Wilkinson W201+ (pairs close to working precision)", () => wilkinson(201)],
  ["diagonal with repeated entries", () => square(90, (i, j) => (i === j ? i % 5 : 0))],
  ["the zero matrix", () => zeros(70, 70)],
  ["1-D Laplacian (negative couplings)", () => square(100, (i, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0))],
  ["all ones (rank one)", () => square(128, () => 1)],
  ["clustered: three eigenvalues 1e-12 apart, rotated", () => {
    const n = 96;
    const q = gram(gaussian(n, n, 8));
    const basis = symmetricEigen(q).vectors; // an orthogonal matrix
    const lambda = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 + i * 1e-12 : i / n));
    return square(n, (i, j) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += basis.data[i * n + k]! * lambda[k]! * basis.data[j * n + k]!;
      return s;
    });
  }],
];

for (const [name, make] of cases) {
  for (const cutoff of [4, DC_CUTOFF]) {
    test(`divide and conquer (cutoff ${cutoff}): ${name}`, () => {
      const a = make();
      const { values, vectors } = symmetricEigenDc(a.data, a.rows, productFloat64, { cutoff });
      for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! >= values[i]!, "descending");
      const e = errors(a, values, vectors);
      assert.ok(e.values <= 1e-10, `eigenvalues ${e.values}`);
      assert.ok(e.orthogonality <= 1e-12, `orthogonality ${e.orthogonality}`);
      assert.ok(e.residual <= 1e-12, `residual ${e.residual}`);
    });
  }
}

test("tridiagonal divide and conquer leaves its input alone and scales back", () => {
  const n = 40;
  const d = Float64Array.from({ length: n }, (_, i) => 1e150 * Math.cos(i));
  const e = Float64Array.from({ length: n }, (_, i) => 1e150 * Math.sin(i + 1));
  const before = [...d, ...e];
  const { values } = tridiagonalEigen(d, e, n, productFloat64, 4);
  assert.deepEqual([...d, ...e], before);
  const a = square(n, (i, j) => (i === j ? d[i]! : j === i + 1 ? e[i]! : i === j + 1 ? e[j]! : 0));
  const ref = [...symmetricEigenRows(a.data, n).d].sort((x, y) => x - y);
  [...values].sort((x, y) => x - y).forEach((x, i) => assert.ok(Math.abs(x - ref[i]!) <= 1e-12 * 1e150 * 2, `λ${i}`));
});

test("symmetricEigen with the divide-and-conquer solver: descending values, same as QL", () => {
  const g = gram(gaussian(150, 150, 9));
  const ql = symmetricEigen(g);
  const was = setEigenSolver("dc");
  try {
    const dc = symmetricEigen(g);
    for (let i = 1; i < 150; i++) assert.ok(dc.values[i - 1]! >= dc.values[i]!);
    dc.values.forEach((x, i) => assert.ok(Math.abs(x - ql.values[i]!) <= 1e-12 * ql.values[0]!, `λ${i}`));
    // Same eigenvectors up to sign (the spectrum of a random Gram matrix is well separated).
    for (let j = 0; j < 150; j++) {
      let dot = 0;
      for (let i = 0; i < 150; i++) dot += dc.vectors.data[i * 150 + j]! * ql.vectors.data[i * 150 + j]!;
      assert.ok(Math.abs(Math.abs(dot) - 1) <= 1e-9, `v${j}: ${dot}`);
    }
  } finally {
    setEigenSolver(was);
  }
});

test("with float32 products: the tridiagonal solver's eigenvalues stay float64-accurate, the rest is float32-accurate", async (t) => {
  if ((await useFastProducts()) !== "float32") return t.skip("no float32 product engine");
  try {
    const a = gram(gaussian(300, 300, 10));
    const product: FlatProduct = productFast;
    // The merges' z rows are recomputed in float64, so float32 merge products leave the eigenvalues alone.
    const n = 300;
    const d0 = Float64Array.from({ length: n }, (_, i) => Math.cos(i) + 2);
    const e0 = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const exact = [...tridiagonalEigen(d0, e0, n, productFloat64).values].sort((x, y) => x - y);
    [...tridiagonalEigen(d0, e0, n, product).values].sort((x, y) => x - y).forEach((x, i) => assert.ok(Math.abs(x - exact[i]!) <= 1e-13 * 3, `λ${i}`));
    // The blocked reduction's trailing updates in float32 perturb the tridiagonal by about ε₃₂·‖A‖.
    const f64 = symmetricEigenDc(a.data, n, product);
    const e = errors(a, f64.values, f64.vectors);
    assert.ok(e.values <= 1e-6, `eigenvalues ${e.values}`);
    assert.ok(e.orthogonality <= 1e-5, `orthogonality ${e.orthogonality}`);
    assert.ok(e.residual <= 1e-5, `residual ${e.residual}`);
    // Kept in float32 (the reduction's matrix and the back-transformed vectors): float32-accurate still.
    const f32 = symmetricEigenDc(a.data, n, product, { float32: matMulFloat32 });
    const e32 = errors(a, f32.values, f32.vectors);
    assert.ok(e32.values <= 1e-6, `float32 eigenvalues ${e32.values}`);
    assert.ok(e32.orthogonality <= 1e-5, `float32 orthogonality ${e32.orthogonality}`);
    assert.ok(e32.residual <= 1e-5, `float32 residual ${e32.residual}`);
  } finally {
    setProductKernel("js");
  }
});

/** max |x − y| / max |y|. */
function relative(x: Matrix, y: Matrix): number {
  let diff = 0;
  let size = 0;
  y.data.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(x.data[i]! - v));
    size = Math.max(size, Math.abs(v));
  });
  return diff / size;
}

test("tsv, iso_c and iso_cts give the QL path's results with divide and conquer (Gram SVDs beyond 256)", () => {
  const tasks = [0, 1, 2].map((i) => gaussian(300, 280, 20 + i));
  const sum = zeros(300, 280);
  for (const t of tasks) t.data.forEach((x, i) => (sum.data[i] += x));
  const run = (): Matrix[] => [
    tsvMerge(tasks, { rankShare: null, orthogonalize: true, svd: "auto" }),
    isoCMerge(sum, "auto"),
    isoCtsMerge(tasks, 0.8, "auto"),
  ];
  const was = setEigenSolver("ql");
  try {
    const ql = run();
    setEigenSolver("dc");
    const dc = run();
    ql.forEach((r, i) => {
      const err = relative(dc[i]!, r);
      assert.ok(err <= 1e-8, `method ${i}: ${err}`);
    });
  } finally {
    setEigenSolver(was);
  }
});

test("only the leading eigenvectors asked for: the same columns as all of them", () => {
  const a = gram(gaussian(120, 120, 12));
  const all = symmetricEigenDc(a.data, 120, productFloat64, { cutoff: 8 });
  const some = symmetricEigenDc(a.data, 120, productFloat64, { cutoff: 8, count: 40 });
  assert.deepEqual([...some.values], [...all.values]);
  assert.equal(some.vectors.length, 120 * 40);
  for (let i = 0; i < 120; i++) for (let j = 0; j < 40; j++) assert.ok(Math.abs(some.vectors[i * 40 + j]! - all.vectors[i * 120 + j]!) <= 1e-13, `(${i}, ${j})`);
  const e = errors(a, some.values, some.vectors, 40);
  assert.ok(e.orthogonality <= 1e-12 && e.residual <= 1e-12, JSON.stringify(e));
  // Any back-transformation block (wyBlock doubles it for large orders) gives the same vectors.
  for (const block of [7, 64, 256]) {
    const other = symmetricEigenDc(a.data, 120, productFloat64, { cutoff: 8, count: 40, block });
    other.vectors.forEach((x, i) => assert.ok(Math.abs(x - some.vectors[i]!) <= 1e-12, `block ${block}, entry ${i}`));
  }
});

test("the float32 reduction, in WebAssembly or in JavaScript, keeps the eigenvalues to float32 accuracy", () => {
  const a = gram(gaussian(70, 70, 13));
  const product = (x: Float32Array, m: number, k: number, y: Float32Array, n: number): Float32Array => new Float32Array(productFloat64(new Float64Array(x), m, k, new Float64Array(y), n));
  const spectrum = (t: { d: Float64Array; e: Float64Array }): number[] => [...tridiagonalEigen(t.d, t.e, 70, productFloat64).values].sort((x, y) => x - y);
  const exact = spectrum(tridiagonalizeBlocked(a.data, 70, productFloat64, 8));
  const wasm = spectrum(tridiagonalizeBlocked32(a.data, 70, product, 8));
  const was = process.env["MERGELANG_WASM"];
  process.env["MERGELANG_WASM"] = "0";
  try {
    const js = spectrum(tridiagonalizeBlocked32(a.data, 70, product, 8));
    const norm = exact[69]!;
    exact.forEach((x, i) => {
      assert.ok(Math.abs(wasm[i]! - x) <= 1e-6 * norm, `wasm λ${i}: ${wasm[i]} vs ${x}`);
      assert.ok(Math.abs(js[i]! - x) <= 1e-6 * norm, `js λ${i}: ${js[i]} vs ${x}`);
    });
  } finally {
    if (was === undefined) delete process.env["MERGELANG_WASM"];
    else process.env["MERGELANG_WASM"] = was;
  }
});

test("the blocked tridiagonalisation's WebAssembly loops give the JavaScript loops' bits", () => {
  const a = gram(gaussian(70, 70, 11));
  const wasm = tridiagonalizeBlocked(a.data, 70, productFloat64, 8);
  const was = process.env["MERGELANG_WASM"];
  process.env["MERGELANG_WASM"] = "0";
  try {
    const js = tridiagonalizeBlocked(a.data, 70, productFloat64, 8);
    for (const key of ["d", "e", "v", "tau"] as const) assert.deepEqual([...js[key]], [...wasm[key]], key);
  } finally {
    if (was === undefined) delete process.env["MERGELANG_WASM"];
    else process.env["MERGELANG_WASM"] = was;
  }
});
