import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Matrix,
  type Svd,
  columns,
  exactSvd,
  frobenius,
  gramSvd,
  multiply,
  orthonormalBasis,
  polarAndSpectrum,
  polarFactor,
  randomizedSvd,
  scaleColumns,
  transpose,
  truncatedSvd,
  zeros,
} from "../../src/linalg/index.js";
import { Random } from "../../src/util/random.js";
import { jacobiSvd } from "./jacobi.js";

/** A matrix with singular values decaying as `decay(i)` and random singular vectors. */
function withSpectrum(rows: number, cols: number, decay: (i: number) => number, seed: number): { a: Matrix; s: number[] } {
  const r = Math.min(rows, cols);
  const q1 = orthonormalBasis(gaussian(rows, r, seed));
  const q2 = orthonormalBasis(gaussian(cols, r, seed + 1));
  const s = Array.from({ length: r }, (_, i) => decay(i));
  return { a: multiply(scaleColumns(q1, s), q2, false, true), s };
}

function gaussian(rows: number, cols: number, seed: number): Matrix {
  const rng = new Random(seed);
  const a = zeros(rows, cols);
  for (let i = 0; i < a.data.length; i++) a.data[i] = rng.normal();
  return a;
}

function reconstruct(d: Svd): Matrix {
  return multiply(scaleColumns(d.u, d.s), d.v, false, true);
}

/** max |XᵀX − I|. */
function orthogonalityError(x: Matrix): number {
  const g = multiply(x, x, true, false);
  let e = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) e = Math.max(e, Math.abs(g.data[i * g.cols + j]! - (i === j ? 1 : 0)));
  return e;
}

function residual(a: Matrix, b: Matrix): number {
  return frobenius({ rows: a.rows, cols: a.cols, data: a.data.map((x, i) => x - b.data[i]!) });
}

test("exact SVD: orthonormal factors, descending values, reconstruction, and the values of an independent Jacobi SVD", () => {
  for (const [rows, cols] of [
    [12, 7],
    [7, 12],
    [9, 9],
  ] as const) {
    const a = gaussian(rows, cols, rows * 31 + cols);
    const d = exactSvd(a);
    assert.equal(d.s.length, Math.min(rows, cols));
    for (let i = 1; i < d.s.length; i++) assert.ok(d.s[i - 1]! >= d.s[i]!);
    assert.ok(orthogonalityError(d.u) < 1e-12);
    assert.ok(orthogonalityError(d.v) < 1e-12);
    assert.ok(residual(reconstruct(d), a) < 1e-12 * frobenius(a));
    const plain = jacobiSvd(Array.from({ length: rows }, (_, i) => Array.from(a.data.subarray(i * cols, (i + 1) * cols))));
    plain.s.forEach((x, i) => assert.ok(Math.abs(x - d.s[i]!) < 1e-12 * plain.s[0]!, `σ${i}: ${d.s[i]} vs ${x}`));
  }
});

test("randomized SVD: within Halko et al.'s bound of the optimal rank-k error, and its values close to the exact ones", () => {
  const k = 10;
  const p = 10;
  const { a, s } = withSpectrum(300, 200, (i) => Math.exp(-i / 8), 7);
  const best = Math.sqrt(s.slice(k).reduce((acc, x) => acc + x * x, 0)); // the optimal Frobenius error
  for (const q of [0, 1, 2]) {
    const d = randomizedSvd(a, k, { oversample: p, powerIterations: q, seed: 3 });
    assert.equal(d.s.length, k);
    assert.ok(orthogonalityError(d.u) < 1e-10);
    assert.ok(orthogonalityError(d.v) < 1e-10);
    const err = residual(reconstruct(d), a);
    // Halko–Martinsson–Tropp, theorem 10.5 (Frobenius): E‖A − QQᵀA‖ ≤ (1 + k/(p − 1))^½ · (Σ_{j>k} σⱼ²)^½.
    const bound = Math.sqrt(1 + k / (p - 1)) * best;
    assert.ok(err <= bound, `q=${q}: error ${err} over the bound ${bound}`);
    assert.ok(err >= best * (1 - 1e-9), "no rank-k matrix beats the truncated SVD");
  }
  const d = randomizedSvd(a, k, { oversample: p, powerIterations: 2, seed: 3 });
  // Two power iterations: the leading values to about (σ₂₀/σ₁₀)^(2(2q+1)) relative.
  d.s.forEach((x, i) => assert.ok(Math.abs(x - s[i]!) < 1e-4 * s[i]!, `σ${i}: ${x} vs ${s[i]}`));
});

test("randomized SVD of a matrix of lower rank than asked: exact, with a basis of the rank it has", () => {
  const { a } = withSpectrum(80, 60, (i) => (i < 5 ? 5 - i : 0), 11);
  const d = randomizedSvd(a, 8, { seed: 1 });
  assert.ok(residual(reconstruct(d), a) < 1e-9 * frobenius(a));
});

test("Gram-matrix SVD: the exact leading values and a faithful reconstruction", () => {
  const { a, s } = withSpectrum(120, 90, (i) => 1 / (1 + i), 5);
  const d = gramSvd(a);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(d.s[i]! - s[i]!) < 1e-10 * s[0]!);
  assert.ok(residual(reconstruct(d), a) < 1e-8 * frobenius(a));
  const wide = gramSvd(transpose(a));
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(wide.s[i]! - s[i]!) < 1e-10 * s[0]!);
  assert.equal(wide.u.rows, a.cols);
  assert.ok(residual(reconstruct(wide), transpose(a)) < 1e-8 * frobenius(a));
  // Asked for the leading 30 triplets, it forms only those: the full decomposition's first 30 columns.
  for (const [x, full] of [[a, d], [transpose(a), wide]] as const) {
    const lead = gramSvd(x, undefined, 30);
    assert.deepEqual([lead.u.rows, lead.u.cols, lead.v.rows, lead.v.cols, lead.s.length], [x.rows, 30, x.cols, 30, 30]);
    assert.deepEqual(lead.s, full.s.slice(0, 30));
    assert.ok(residual(lead.u, columns(full.u, 0, 30)) < 1e-12 && residual(lead.v, columns(full.v, 0, 30)) < 1e-12);
  }
});

test("truncated SVD picks its kernel by size and rank, each giving the leading triplets", () => {
  const { a, s } = withSpectrum(400, 300, (i) => Math.exp(-i / 4), 9);
  for (const rank of [12, 200]) {
    const d = truncatedSvd(a, rank);
    assert.equal(d.s.length, rank);
    for (let i = 0; i < Math.min(rank, 10); i++) assert.ok(Math.abs(d.s[i]! - s[i]!) < 1e-6 * s[0]!, `rank ${rank}, σ${i}: ${d.s[i]} vs ${s[i]}`);
    // The Gram-matrix path leaves out directions below 1e-4·σ₁ (zero columns, σ = 0).
    const kept = d.s.filter((x) => x > 0).length;
    assert.ok(kept >= Math.min(rank, 36));
    assert.ok(orthogonalityError(columns(d.u, 0, kept)) < 1e-8);
  }
});

test("polar factor through the Gram matrix (auto, beyond the exact limit): the exact factor and singular values, tall, wide and rank-deficient", () => {
  for (const [rows, cols, rank] of [[300, 270, 270], [270, 300, 270], [290, 280, 200]] as const) {
    const { a } = withSpectrum(rows, cols, (i) => (i < rank ? 1 + 10 / (1 + i) : 0), rows + cols);
    const exact = exactSvd(a);
    const { polar, s } = polarAndSpectrum(a, "auto");
    const ref = polarFactor(a, "exact");
    assert.equal(polar.rows, rows);
    assert.equal(polar.cols, cols);
    assert.ok(residual(polar, ref) < 1e-8 * Math.sqrt(rank), `${rows}×${cols}: ${residual(polar, ref)}`);
    for (let i = 0; i < Math.min(rows, cols); i++) assert.ok(Math.abs(s[i]! - (i < rank ? exact.s[i]! : 0)) < 1e-8, `σ${i}`);
    assert.deepEqual(polarFactor(a, "auto"), polar);
  }
});

test("polar factor: orthonormal columns, the nearest such matrix, and [A 0] ↦ [polar(A) 0]", () => {
  const a = gaussian(20, 6, 4);
  const p = polarFactor(a, "exact");
  assert.ok(orthogonalityError(p) < 1e-12);
  // PᵀA is symmetric positive definite (A = P·H, H = (AᵀA)^½).
  const h = multiply(p, a, true, false);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) assert.ok(Math.abs(h.data[i * 6 + j]! - h.data[j * 6 + i]!) < 1e-12);
  const padded = zeros(20, 8);
  for (let i = 0; i < 20; i++) for (let j = 0; j < 6; j++) padded.data[i * 8 + j] = a.data[i * 6 + j]!;
  const q = polarFactor(padded, "exact");
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(q.data[i * 8 + j]! - p.data[i * 6 + j]!) < 1e-12);
    for (let j = 6; j < 8; j++) assert.ok(Math.abs(q.data[i * 8 + j]!) < 1e-12);
  }
});
