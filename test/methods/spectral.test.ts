import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";
import { fromArray, hconcat, leadingSvd, multiply, polarFactor, scaleColumns, zeros } from "../../src/linalg/index.js";
import { tsvMerge } from "../../src/methods/tsv.js";
import { isoCtsBySvds, isoCtsSplit } from "../../src/methods/iso.js";
import { isoCtsInEigenbasis } from "../../src/methods/shared/iso-cts-eigenbasis.js";
import { Random } from "../../src/util/random.js";
import { asRows, jacobiSvd, matmul, polar, transposed } from "../linalg/jacobi.js";

type Rows = number[][];

/** T task matrices sharing a rank-2 component (so that their singular vectors overlap), plus a base. */
function family(rows: number, cols: number, tasks: number, seed: number): { base: Float32Array; models: Float32Array[]; deltas: Rows[] } {
  const rng = new Random(seed);
  const vec = (n: number): number[] => Array.from({ length: n }, () => rng.normal());
  const shared = [0, 1].map(() => [vec(rows), vec(cols)] as const);
  const base = Float32Array.from({ length: rows * cols }, () => rng.normal());
  const deltas: Rows[] = [];
  const models: Float32Array[] = [];
  for (let t = 0; t < tasks; t++) {
    const m = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let d = 0.3 * rng.normal();
        for (const [u, v] of shared) d += u[i]! * v[j]!;
        m[i * cols + j] = base[i * cols + j]! + d;
      }
    }
    models.push(m);
    // The deltas the method sees: float32 differences.
    deltas.push(asRows(m.map((x, k) => Math.fround(x - base[k]!)), rows, cols));
  }
  return { base, models, deltas };
}

const top = (m: Rows, k: number): Rows => m.map((row) => row.slice(0, k));
const hcat = (parts: Rows[]): Rows => parts[0]!.map((_, i) => parts.flatMap((p) => p[i]!));
const scaleCols = (m: Rows, s: number[]): Rows => m.map((row) => row.map((x, j) => x * s[j]!));
const sum = (ms: Rows[]): Rows => ms[0]!.map((row, i) => row.map((_, j) => ms.reduce((acc, m) => acc + m[i]![j]!, 0)));

/** TSV-M as the authors' compute_and_sum_svd_mem_reduction writes it. */
function tsvReference(deltas: Rows[], rankShare = 1 / deltas.length): Rows {
  const k = Math.floor(Math.min(deltas[0]!.length, deltas[0]![0]!.length) * rankShare);
  const svds = deltas.map(jacobiSvd);
  const u = polar(hcat(svds.map((d) => top(d.u, k))));
  const v = polar(hcat(svds.map((d) => top(d.v, k))));
  return matmul(scaleCols(u, svds.flatMap((d) => d.s.slice(0, k))), transposed(v));
}

function isoCReference(deltas: Rows[]): Rows {
  const d = jacobiSvd(sum(deltas));
  const mean = d.s.reduce((a, x) => a + x, 0) / d.s.length;
  return matmul(d.u.map((row) => row.map((x) => mean * x)), transposed(d.v));
}

function isoCtsReference(deltas: Rows[], fraction: number): Rows {
  const rows = deltas[0]!.length;
  const r = Math.min(rows, deltas[0]![0]!.length);
  const T = deltas.length;
  let common = Math.floor(r * fraction);
  const x = (r - common) / T;
  const rounded = x - Math.floor(x) === 0.5 ? (Math.floor(x) % 2 === 0 ? Math.floor(x) : Math.floor(x) + 1) : Math.round(x);
  common = r - rounded * T;
  const perTask = (r - common) / T;
  const c = jacobiSvd(sum(deltas));
  const uc = top(c.u, common);
  const projector = matmul(uc, transposed(uc));
  const parts = deltas.map((d) => {
    const inside = matmul(projector, d);
    return jacobiSvd(d.map((row, i) => row.map((v, j) => v - inside[i]![j]!)));
  });
  const u = polar(hcat([...parts.map((p) => top(p.u, perTask)), uc]));
  const v = polar(hcat([...parts.map((p) => top(p.v, perTask)), top(c.v, common)]));
  const s = [...parts.flatMap((p) => p.s.slice(0, perTask)), ...c.s.slice(0, common)];
  const mean = s.reduce((a, y) => a + y, 0) / r;
  return matmul(u.map((row) => row.map((y) => mean * y)), transposed(v));
}

/** max |got − (base + α·m)| relative to the largest |α·m|. */
function relativeError(got: Float32Array, base: Float32Array, m: Rows, alpha: number): number {
  const flat = m.flat();
  const scale = Math.max(...flat.map((x) => Math.abs(alpha * x)));
  let err = 0;
  flat.forEach((x, k) => (err = Math.max(err, Math.abs(got[k]! - (base[k]! + alpha * x)))));
  return err / scale;
}

function run(method: string, params: Record<string, number | string | boolean>, f: ReturnType<typeof family>, rows: number, cols: number, tensor = "model.layers.0.mlp.up_proj.weight"): Float32Array {
  return applyMethod(method, params, f.models, f.base, tensor, cols, [rows, cols]);
}

function singularValues(got: Float32Array, base: Float32Array, rows: number, cols: number, alpha: number): number[] {
  return jacobiSvd(asRows(got.map((x, k) => (x - base[k]!) / alpha), rows, cols)).s;
}

test("tsv: the authors' formula (top 1/T per task, polar factors of the concatenated vectors), exact SVD", () => {
  for (const [rows, cols, tasks] of [
    [12, 9, 3],
    [8, 14, 2],
  ] as const) {
    const f = family(rows, cols, tasks, rows + cols);
    const got = run("tsv", { alpha: 0.7, svd: "exact" }, f, rows, cols);
    assert.ok(relativeError(got, f.base, tsvReference(f.deltas), 0.7) < 1e-5);
  }
});

test("tsv: decorrelated vectors keep every task's singular values; rank ≤ T·k; rank_share and orthogonalize", () => {
  const [rows, cols, tasks] = [15, 12, 3];
  const f = family(rows, cols, tasks, 5);
  const k = 4;
  const kept = f.deltas.flatMap((d) => jacobiSvd(d).s.slice(0, k)).sort((a, b) => b - a);
  const s = singularValues(run("tsv", { alpha: 1, svd: "exact" }, f, rows, cols), f.base, rows, cols, 1);
  kept.forEach((x, i) => assert.ok(Math.abs(s[i]! - x) < 1e-4 * kept[0]!, `σ${i}: ${s[i]} vs ${x}`));
  const share = run("tsv", { rank_share: 0.25, svd: "exact" }, f, rows, cols);
  assert.ok(relativeError(share, f.base, tsvReference(f.deltas, 0.25), 1) < 1e-5);
  const rank = singularValues(share, f.base, rows, cols, 1).filter((x) => x > 1e-4).length;
  assert.equal(rank, 3 * Math.floor(12 * 0.25));
  // Without orthogonalisation: the sum of the tasks' rank-k approximations.
  const plain = run("tsv", { orthogonalize: false, svd: "exact" }, f, rows, cols);
  const lowRank = sum(f.deltas.map((d) => {
    const x = jacobiSvd(d);
    return matmul(scaleCols(top(x.u, k), x.s.slice(0, k)), transposed(top(x.v, k)));
  }));
  assert.ok(relativeError(plain, f.base, lowRank, 1) < 1e-5);
  assert.throws(() => run("tsv", { rank_share: 0.5 }, f, rows, cols), /rank_share 0.5 × 3 models is over 1/);
});

test("iso_c: the task sum with a flat spectrum at its mean singular value", () => {
  const [rows, cols] = [10, 13];
  const f = family(rows, cols, 3, 9);
  const got = run("iso_c", { alpha: 1.3, svd: "exact" }, f, rows, cols);
  assert.ok(relativeError(got, f.base, isoCReference(f.deltas), 1.3) < 1e-5);
  const s = singularValues(got, f.base, rows, cols, 1.3);
  for (const x of s) assert.ok(Math.abs(x - s[0]!) < 1e-4 * s[0]!, "isotropic: every singular value equal");
});

test("iso_cts: common subspace of the sum plus each task's own directions, flattened (authors' iso_cts)", () => {
  for (const [rows, cols, tasks, fraction] of [
    [16, 12, 3, 0.8],
    [11, 10, 2, 0.5],
    [9, 14, 4, 0.3],
  ] as const) {
    const f = family(rows, cols, tasks, rows * tasks);
    const got = run("iso_cts", { alpha: 0.9, common_space_fraction: fraction, svd: "exact" }, f, rows, cols);
    assert.ok(relativeError(got, f.base, isoCtsReference(f.deltas, fraction), 0.9) < 1e-5, `${rows}×${cols}, T=${tasks}`);
    const s = singularValues(got, f.base, rows, cols, 0.9);
    for (const x of s) assert.ok(Math.abs(x - s[0]!) < 1e-4 * s[0]!, "full rank, isotropic");
  }
  // Python's round halves to even: r = 12, f = 0.75 → 9 common, 3 left for 2 tasks: round(1.5) = 2 → 4 task-specific.
  assert.deepEqual(isoCtsSplit(12, 2, 0.75), { common: 8, perTask: 2 });
  assert.deepEqual(isoCtsSplit(10, 2, 0.75), { common: 6, perTask: 2 });
  assert.deepEqual(isoCtsSplit(100, 8, 0.8), { common: 84, perTask: 2 }); // round(2.5) = 2
});

test("spectral methods: 1-D tensors and embedding matrices take base + α·mean(δ)", () => {
  const f = family(6, 5, 3, 2);
  const mean = (k: number): number => f.models.reduce((a, m) => a + m[k]! - f.base[k]!, 0) / 3;
  for (const method of ["tsv", "iso_c", "iso_cts"]) {
    for (const [tensor, shape] of [
      ["model.norm.weight", [30]],
      ["model.embed_tokens.weight", [6, 5]],
      ["lm_head.weight", [6, 5]],
    ] as const) {
      const got = applyMethod(method, { alpha: 0.5 }, f.models, f.base, tensor, shape.length === 2 ? 5 : 30, shape);
      got.forEach((x, k) => assert.ok(Math.abs(x - (f.base[k]! + 0.5 * mean(k))) < 1e-6, `${method} ${tensor}`));
    }
  }
});

test("spectral methods beyond the exact-SVD size: the fast path agrees with the exact one", () => {
  for (const [rows, cols, method, tasks] of [
    [300, 270, "tsv", 3],
    [300, 270, "iso_c", 3],
    [300, 270, "iso_cts", 3],
    [270, 300, "iso_cts", 3], // no taller than wide: in the task sum's eigenbasis
    // Two tasks: polar factors of orthonormal pairs. An odd short side keeps [V₁ V₂] from being square,
    // where its least singular value here (7e-5) falls under the Gram path's floor and is dropped.
    [300, 271, "tsv", 2],
    [271, 300, "tsv", 2],
  ] as const) {
    const f = family(rows, cols, tasks, 13);
    const fast = run(method, {}, f, rows, cols);
    const exact = run(method, { svd: "exact" }, f, rows, cols);
    let err = 0;
    let scale = 0;
    fast.forEach((x, k) => {
      err = Math.max(err, Math.abs(x - exact[k]!));
      scale = Math.max(scale, Math.abs(exact[k]! - f.base[k]!));
    });
    assert.ok(err < 2e-3 * scale, `${method} ${rows}×${cols}, T=${tasks}: ${err / scale}`);
  }
});

test("iso_cts in the task sum's eigenbasis: the authors' sequence of SVDs, one large decomposition", () => {
  for (const [rows, cols, tasks] of [
    [300, 300, 3],
    [280, 330, 2],
    [264, 400, 4],
  ] as const) {
    const f = family(rows, cols, tasks, 31 + tasks);
    const deltas = f.deltas.map((d) => fromArray(rows, cols, d.flat()));
    const sum = zeros(rows, cols);
    for (const d of deltas) d.data.forEach((x, i) => (sum.data[i] += x));
    const { common, perTask } = isoCtsSplit(rows, tasks, 0.8);
    const want = isoCtsBySvds(deltas, sum, common, perTask, "auto");
    const got = isoCtsInEigenbasis(deltas, sum, common, perTask);
    assert.ok(got, `${rows}×${cols}`);
    let err = 0;
    let size = 0;
    want.data.forEach((x, i) => {
      err = Math.max(err, Math.abs(x - got.data[i]!));
      size = Math.max(size, Math.abs(x));
    });
    assert.ok(err < 1e-8 * size, `${rows}×${cols}, T=${tasks}: ${err / size}`);
  }
  // Taller than wide, or no task-specific directions: the general path.
  const f = family(300, 260, 2, 5);
  const tall = f.deltas.map((d) => fromArray(300, 260, d.flat()));
  assert.equal(isoCtsInEigenbasis(tall, tall[0]!, 208, 26), null);
  const wide = f.deltas.map((d) => fromArray(260, 300, transposed(d).flat()));
  assert.equal(isoCtsInEigenbasis(wide, wide[0]!, 260, 0), null);
});

test("tsv with two tasks on the Gram path: the pair's polar factors equal the general ones", () => {
  for (const [rows, cols] of [
    [300, 280],
    [280, 300],
  ] as const) {
    const f = family(rows, cols, 2, 41);
    const deltas = f.deltas.map((d) => fromArray(rows, cols, d.flat()));
    const k = Math.floor(Math.min(rows, cols) / 2);
    const parts = deltas.map((d) => leadingSvd(d, k));
    const s = parts.flatMap((d) => [...d.s]);
    const u = polarFactor(hconcat(parts.map((d) => d.u)));
    const v = polarFactor(hconcat(parts.map((d) => d.v)));
    const want = multiply(scaleColumns(u, s), v, false, true);
    const got = tsvMerge(deltas, { rankShare: null, orthogonalize: true, svd: "auto" });
    let err = 0;
    let size = 0;
    want.data.forEach((x, i) => {
      err = Math.max(err, Math.abs(x - got.data[i]!));
      size = Math.max(size, Math.abs(x));
    });
    assert.ok(err < 1e-8 * size, `${rows}×${cols}: ${err / size}`);
  }
});
