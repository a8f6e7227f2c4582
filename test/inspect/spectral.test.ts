import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { renderHtml } from "../../src/inspect/render-html.js";
import { renderText } from "../../src/inspect/render-text.js";
import { summaryLine } from "../../src/inspect/report.js";
import { spectralTotals } from "../../src/inspect/spectral.js";
import type { Matrix } from "../../src/linalg/index.js";
import { Random } from "../../src/util/random.js";
import { asRows, jacobiSvd, matmul, transposed } from "../linalg/jacobi.js";
import { writeF32Model } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const gaussian = (n: number, seed: number): number[] => {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => rng.normal());
};
const matrix = (rows: number, cols: number, data: ArrayLike<number>): Matrix => ({ rows, cols, data: Float64Array.from(data) });
const frob2 = (m: number[][]): number => m.flat().reduce((a, x) => a + x * x, 0);

/** The overlap and the paper's STI, straight from the definitions, with the test's own SVD. */
function reference(tasks: number[][][], k: number): { overlap: number; sti: number } {
  const svds = tasks.map((t) => {
    const d = jacobiSvd(t);
    return { u: d.u.map((r) => r.slice(0, k)), s: d.s.slice(0, k), v: d.v.map((r) => r.slice(0, k)) };
  });
  let num = 0;
  let den = 0;
  svds.forEach((a, i) => {
    den += 2 * (tasks.length - 1) * a.s.reduce((x, y) => x + y * y, 0);
    svds.forEach((b, j) => {
      if (i === j) return;
      const scale = (m: number[][]): number[][] => m.map((r) => r.map((x, c) => x * a.s[c]!));
      num += frob2(scale(matmul(transposed(b.u), a.u))) + frob2(scale(matmul(transposed(b.v), a.v)));
    });
  });
  const cat = (key: "u" | "v"): number[][] => svds[0]![key].map((_, r) => svds.flatMap((d) => d[key][r]!));
  const minusI = (g: number[][]): number[][] => g.map((r, i) => r.map((x, j) => x - (i === j ? 1 : 0)));
  const s = svds.flatMap((d) => d.s);
  const a = minusI(matmul(transposed(cat("u")), cat("u")));
  const b = minusI(matmul(transposed(cat("v")), cat("v")));
  const sti = matmul(a.map((r) => r.map((x, c) => x * s[c]!)), b).flat().reduce((x, y) => x + Math.abs(y), 0);
  return { overlap: num / den, sti };
}

test("spectral totals: the overlap share and TSV's singular task interference, as defined", () => {
  const [rows, cols] = [12, 9];
  const tasks = [1, 2, 3].map((seed) => asRows(gaussian(rows * cols, seed), rows, cols));
  const got = spectralTotals(tasks.map((t) => matrix(rows, cols, t.flat())), true);
  const want = reference(tasks, 3); // ⌊9/3⌋
  assert.ok(Math.abs(got.overlap / got.energy - want.overlap) < 1e-9, `${got.overlap / got.energy} vs ${want.overlap}`);
  assert.ok(Math.abs(got.sti - want.sti) < 1e-9 * want.sti);
  // Fast mode: at most 16 directions per task (here the rank share is 3 anyway: the same value).
  const fast = spectralTotals(tasks.map((t) => matrix(rows, cols, t.flat())), false);
  assert.ok(Math.abs(fast.overlap / fast.energy - want.overlap) < 1e-6);
});

test("spectral overlap is 0 for tasks on orthogonal subspaces and 1 for the same task twice", () => {
  // Task a lives on rows/columns 0–1, task b on rows/columns 2–3 of a 4×4 matrix.
  const a = [[3, 1, 0, 0], [1, 2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
  const b = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 2, -1], [0, 0, 1, 1]];
  const apart = spectralTotals([a, b].map((t) => matrix(4, 4, t.flat())), true);
  assert.ok(apart.overlap / apart.energy < 1e-12);
  assert.ok(apart.sti < 1e-12);
  const same = spectralTotals([a, a].map((t) => matrix(4, 4, t.flat())), true);
  assert.ok(Math.abs(same.overlap / same.energy - 1) < 1e-12);
});

test("interference(spectral: true): a column per layer (ratio of sums), n/a for 1-D and embedding tensors, in every view", async () => {
  const dir = tempDir("inspect-spectral-");
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const [rows, cols] = [10, 8];
  const names = ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.1.self_attn.q_proj.weight"];
  const model = (seed: number) => ({
    ...Object.fromEntries(names.map((n, i) => [n, { shape: [rows, cols], data: seed === 0 ? new Array<number>(rows * cols).fill(0) : gaussian(rows * cols, seed * 10 + i) }])),
    "model.embed_tokens.weight": { shape: [6, 4], data: seed === 0 ? new Array<number>(24).fill(0) : gaussian(24, seed) },
    "model.norm.weight": { shape: [4], data: seed === 0 ? [0, 0, 0, 0] : gaussian(4, seed + 5) },
  });
  const base = writeF32Model(join(dir, "base"), model(0));
  const models = [1, 2].map((s) => writeF32Model(join(dir, `t${s}`), model(s)));
  const plain = await inspectInterference({ models, base });
  assert.equal(plain.spectral, null);
  assert.equal(plain.total.spectral, undefined);
  assert.doesNotMatch(renderText(plain), /spectral/);
  const report = await inspectInterference({ models, base, spectral: true });
  assert.deepEqual(report.spectral, { mode: "exact", matrices: 3 });
  const byKey = new Map(report.groups.map((g) => [g.label, g.metrics]));
  assert.equal(byKey.get("embeddings")!.spectral!.value, null);
  // Layer 0 pools its two matrices: numerators and denominators add.
  const totals = names.slice(0, 2).map((n, i) =>
    spectralTotals([1, 2].map((s) => matrix(rows, cols, gaussian(rows * cols, s * 10 + i))), true),
  );
  const pooled = (totals[0]!.overlap + totals[1]!.overlap) / (totals[0]!.energy + totals[1]!.energy);
  assert.ok(Math.abs(byKey.get("layer 0")!.spectral!.value! - pooled) < 1e-6);
  assert.ok(Math.abs(byKey.get("layer 0")!.sti! - totals[0]!.sti - totals[1]!.sti) < 1e-6 * totals[0]!.sti);
  assert.match(renderText(report), /spectral overlap/);
  assert.match(renderText(report), /spectral: top r\/T of 3 matrices/);
  assert.match(renderHtml(report), /spectral overlap/);
  assert.match(summaryLine(report), /spectral overlap \d+%/);
  const fast = await inspectInterference({ models, base, spectral: true, mode: "sampled" });
  assert.deepEqual(fast.spectral, { mode: "fast", matrices: 3 });
});
