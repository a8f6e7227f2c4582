/**
 * mergekit configs give mergekit's numbers: each case runs a config written here over the tiny
 * reference models and compares the output with mergekit's formula, written out in the test on
 * plain arrays (not with mergelang's kernels).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkMergekitYaml } from "../../src/mergekit/index.js";
import { fixturesDir } from "../support/paths.js";
import { readAll, roundBF16 } from "../engine/compare.js";
import { run } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const M = fixturesDir("reference", "models", "tiny_f32");
const base = readAll(join(M, "base"));
const tasks = ["task_a", "task_b", "task_c"].map((t) => readAll(join(M, t)));

/** Runs a config (model paths as `${M}/name`) and returns the merged tensors and the recipe. */
async function merge(yaml: string[]): Promise<{ out: Map<string, Float32Array>; recipe: string }> {
  const dir = tempDir("mergelang-parity-");
  try {
    const file = join(dir, "config.yml");
    const text = yaml.join("\n").replaceAll("${M}", M);
    writeFileSync(file, text);
    const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
    assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), [], checked.recipe ?? "");
    await run(checked.graph!);
    return { out: readAll(join(dir, "out")), recipe: checked.recipe! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertClose(got: Float32Array | undefined, want: ArrayLike<number>, what: string, tol = 2e-6): void {
  assert.ok(got, `${what} missing`);
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const w = want[i]!;
    assert.ok(Math.abs(got[i]! - w) <= tol * Math.max(1, Math.abs(w)), `${what}[${i}]: ${got[i]} vs mergekit ${w}`);
  }
}

const deltaOf = (m: Float32Array, b: Float32Array): number[] => Array.from(m, (x, i) => Math.fround(x - b[i]!));

/** mergekit's magnitude sparsification: the top int(density·n) magnitudes, optionally L1-rescaled. */
function magnitude(delta: number[], density: number, rescale = false): number[] {
  if (density >= 1) return delta;
  const k = Math.floor(density * delta.length);
  const order = delta.map((_, i) => i).sort((a, b) => Math.abs(delta[b]!) - Math.abs(delta[a]!));
  const keep = new Set(order.slice(0, k));
  const masked = delta.map((x, i) => (keep.has(i) ? x : 0));
  if (!rescale) return masked;
  const before = delta.reduce((s, x) => s + Math.abs(x), 0);
  const after = masked.reduce((s, x) => s + Math.abs(x), 0);
  return before < 1e-7 || after < 1e-7 ? masked : masked.map((x) => x * (before / after));
}

/** mergekit's generalized task arithmetic with TIES's sign consensus ("sum") on sparsified deltas. */
function consensusMerge(b: Float32Array, deltas: number[][], weights: number[], normalize: boolean): number[] {
  return Array.from(b, (x, j) => {
    const wd = deltas.map((d, i) => weights[i]! * d[j]!);
    const majority = wd.reduce((s, v) => s + v, 0) >= 0 ? 1 : -1;
    let mixed = 0;
    let divisor = 0;
    wd.forEach((v, i) => {
      if (Math.sign(v) === majority) {
        mixed += v;
        divisor += weights[i]!;
      }
    });
    return x + (normalize ? mixed / (divisor === 0 ? 1 : divisor) : mixed);
  });
}

test("gradients outside the layers: the head and final norm take the gradient's start (t = 0), as mergekit's planner", async () => {
  const { out } = await merge([
    "models:",
    "  - model: ${M}/task_a",
    "    parameters: {weight: [1, 3]}",
    "  - model: ${M}/task_b",
    "    parameters: {weight: 1}",
    "merge_method: linear",
    "dtype: float32",
  ]);
  const [a, b] = tasks;
  for (const [name, t] of [["lm_head.weight", 0], ["model.norm.weight", 0], ["model.embed_tokens.weight", 0], ["model.layers.0.mlp.up_proj.weight", 0], ["model.layers.2.mlp.up_proj.weight", 2 / 3], ["model.layers.3.mlp.up_proj.weight", 1]] as const) {
    const wa = 1 + 2 * t;
    assertClose(out.get(name), Array.from(a!.get(name)!, (x, i) => (wa * x + b!.get(name)![i]!) / (wa + 1)), name);
  }
  // slerp with a gradient t: t = 0 at the head and the final norm is the base itself.
  const slerp = await merge([
    "slices:",
    "  - sources:",
    "      - model: ${M}/base",
    "        layer_range: [0, 4]",
    "      - model: ${M}/task_a",
    "        layer_range: [0, 4]",
    "merge_method: slerp",
    "base_model: ${M}/base",
    "parameters:",
    "  t: [0.2, 0.9]",
    "dtype: float32",
  ]);
  for (const name of ["lm_head.weight", "model.norm.weight"]) assertClose(slerp.out.get(name), slerpAt(0.2, base.get(name)!, a!.get(name)!), name);
  const layer = "model.layers.3.self_attn.o_proj.weight";
  assertClose(slerp.out.get(layer), slerpAt(0.9, base.get(layer)!, a!.get(layer)!), layer);
});

/** mergekit's slerp of two tensors at t (its lerp fallback below a 0.9995 dot of the unit vectors). */
function slerpAt(t: number, v0: Float32Array, v1: Float32Array): Float32Array {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const n0 = norm(v0);
  const n1 = norm(v1);
  let dot = 0;
  for (let i = 0; i < v0.length; i++) dot += (v0[i]! / n0) * (v1[i]! / n1);
  if (Math.abs(dot) > 0.9995) return Float32Array.from(v0, (x, i) => (1 - t) * x + t * v1[i]!);
  const theta0 = Math.acos(dot);
  const theta = theta0 * t;
  const s0 = Math.sin(theta0 - theta) / Math.sin(theta0);
  const s1 = Math.sin(theta) / Math.sin(theta0);
  return Float32Array.from(v0, (x, i) => s0 * x + s1 * v1[i]!);
}

test("negative weights in ties: the sign test is on the weighted delta w·δ, as mergekit", async () => {
  const weights = [1, -0.6, 0.4];
  const { out, recipe } = await merge([
    "models:",
    ...tasks.map((_, i) => `  - model: \${M}/task_${"abc"[i]}\n    parameters: {weight: ${weights[i]}, density: 0.5}`),
    "merge_method: ties",
    "base_model: ${M}/base",
    "dtype: float32",
  ]);
  assert.match(recipe, /agreement: "weighted"/);
  for (const name of ["model.layers.1.self_attn.q_proj.weight", "model.layers.3.input_layernorm.weight", "lm_head.weight"]) {
    const b = base.get(name)!;
    const deltas = tasks.map((t) => magnitude(deltaOf(t.get(name)!, b), 0.5));
    assertClose(out.get(name), consensusMerge(b, deltas, weights, true), name);
  }
});

test("negative weights in dare_ties (the sparsifying methods' shared merge) follow the same rule", async () => {
  const weights = [0.8, -0.5];
  const { out } = await merge([
    "models:",
    "  - model: ${M}/task_a",
    `    parameters: {weight: ${weights[0]}, density: 1}`,
    "  - model: ${M}/task_b",
    `    parameters: {weight: ${weights[1]}, density: 1}`,
    "merge_method: dare_ties",
    "base_model: ${M}/base",
    "dtype: float32",
  ]);
  for (const name of ["model.layers.0.mlp.down_proj.weight", "model.norm.weight"]) {
    const b = base.get(name)!;
    // density 1 keeps every entry; dare_ties does not normalize by default.
    assertClose(out.get(name), consensusMerge(b, tasks.slice(0, 2).map((t) => deltaOf(t.get(name)!, b)), weights, false), name);
  }
});

test("ties with rescale: true trims, then scales each task vector back to its L1 norm, as mergekit", async () => {
  const weights = [0.7, 0.5, 0.3];
  const densities = [0.4, 0.3, 0.6];
  const { out } = await merge([
    "models:",
    ...tasks.map((_, i) => `  - model: \${M}/task_${"abc"[i]}\n    parameters: {weight: ${weights[i]}, density: ${densities[i]}}`),
    "merge_method: ties",
    "base_model: ${M}/base",
    "parameters: {rescale: true}",
    "dtype: float32",
  ]);
  for (const name of ["model.layers.2.mlp.gate_proj.weight", "model.embed_tokens.weight"]) {
    const b = base.get(name)!;
    const deltas = tasks.map((t, i) => magnitude(deltaOf(t.get(name)!, b), densities[i]!, true));
    assertClose(out.get(name), consensusMerge(b, deltas, weights, true), name, 1e-5);
  }
});

/** mergekit's karcher_merge_tensors with equal weights, in float64. */
function karcherReference(xs: Float32Array[], maxIter = 10, tol = 1e-5): number[] {
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  const norms = xs.map((x) => Math.sqrt(dot(x, x)));
  const units = xs.map((x, i) => Array.from(x, (v) => v / norms[i]!));
  const alpha = 1 / xs.length;
  let mean = units[0]!.map((_, k) => units.reduce((s, u) => s + alpha * u[k]!, 0));
  const mn = Math.sqrt(dot(mean, mean));
  mean = mean.map((v) => v / mn);
  for (let it = 0; it < maxIter; it++) {
    const tangent = mean.map(() => 0);
    for (const u of units) {
      const d = Math.min(1, Math.max(-1, dot(mean, u)));
      const theta = Math.acos(d);
      if (theta < tol) continue;
      for (let k = 0; k < u.length; k++) tangent[k] += alpha * (theta / Math.sin(theta)) * (u[k]! - d * mean[k]!);
    }
    const tn = Math.sqrt(dot(tangent, tangent));
    if (tn < tol) break;
    mean = mean.map((m, k) => Math.cos(tn) * m + Math.sin(tn) * (tangent[k]! / tn));
    const un = Math.sqrt(dot(mean, mean));
    if (un > tol) mean = mean.map((v) => v / un);
  }
  const scale = norms.reduce((s, n) => s + alpha * n, 0);
  return mean.map((m) => scale * m);
}

test("karcher with a base_model averages the base in, as mergekit adds it to the inputs", async () => {
  const { out, recipe } = await merge(["models:", "  - model: ${M}/task_a", "  - model: ${M}/task_b", "merge_method: karcher", "base_model: ${M}/base", "dtype: float32"]);
  assert.match(recipe, /karcher\(task_a, task_b, base\)/);
  for (const name of ["model.layers.1.mlp.up_proj.weight", "model.norm.weight"]) {
    assertClose(out.get(name), karcherReference([tasks[0]!.get(name)!, tasks[1]!.get(name)!, base.get(name)!]), name, 1e-5);
  }
});

test("linear with dtype: bfloat16 computes in bf16 as PyTorch does; precision: \"f32\" keeps float32 arithmetic", async () => {
  const weights = [0.37, 0.21, 0.55];
  const config = (dtype: string): string[] => ["models:", ...tasks.map((_, i) => `  - model: \${M}/task_${"abc"[i]}\n    parameters: {weight: ${weights[i]}}`), "merge_method: linear", `dtype: ${dtype}`];
  const { out, recipe } = await merge(config("bfloat16"));
  assert.match(recipe, /precision: "bf16"/);
  const w = weights.map(roundBF16);
  const divisor = roundBF16(w.reduce((s, x) => Math.fround(s + x), 0));
  let differs = 0;
  for (const name of ["model.layers.0.self_attn.v_proj.weight", "lm_head.weight", "model.layers.3.post_attention_layernorm.weight"]) {
    const want = Array.from(base.get(name)!, (_, j) => {
      let acc = 0;
      tasks.forEach((t, i) => (acc = Math.fround(acc + roundBF16(w[i]! * roundBF16(t.get(name)![j]!)))));
      return roundBF16(roundBF16(acc) / divisor);
    });
    assert.deepEqual(Array.from(out.get(name)!), want, name);
    const sum = weights.reduce((s, x) => s + x, 0);
    const exact = Array.from(base.get(name)!, (_, j) => roundBF16(tasks.reduce((s, t, i) => s + (weights[i]! / sum) * t.get(name)![j]!, 0)));
    differs += exact.filter((x, j) => x !== want[j]).length;
  }
  assert.ok(differs > 0, "bf16 arithmetic rounds differently from float32 arithmetic somewhere");
});

test("model_stock with filter_wise: true takes one ratio per row", async () => {
  const { out } = await merge(["models:", "  - model: ${M}/task_a", "  - model: ${M}/task_b", "  - model: ${M}/task_c", "merge_method: model_stock", "base_model: ${M}/base", "parameters: {filter_wise: true}", "dtype: float32"]);
  for (const [name, rowLength] of [["model.layers.1.mlp.down_proj.weight", 128], ["model.norm.weight", 64]] as const) {
    const b = base.get(name)!;
    const want: number[] = [];
    for (let r = 0; r < b.length; r += rowLength) {
      const ds = tasks.map((t) => deltaOf(t.get(name)!.subarray(r, r + rowLength), b.subarray(r, r + rowLength)));
      const norm = (d: number[]): number => Math.sqrt(d.reduce((s, x) => s + x * x, 0));
      const cosines: number[] = [];
      for (let i = 0; i < ds.length; i++) {
        for (let j = i + 1; j < ds.length; j++) {
          const dot = ds[i]!.reduce((s, x, k) => s + x * ds[j]![k]!, 0);
          cosines.push(Math.min(1, Math.max(-1, dot / Math.max(norm(ds[i]!) * norm(ds[j]!), 1e-6))));
        }
      }
      const cos = cosines.reduce((s, c) => s + c, 0) / cosines.length;
      const t = (3 * cos) / (1 + 2 * cos);
      for (let k = r; k < r + rowLength; k++) want.push((t * tasks.reduce((s, m) => s + m.get(name)![k]!, 0)) / 3 + (1 - t) * b[k]!);
    }
    assertClose(out.get(name), want, name, 1e-5);
  }
});

test("ram takes an entry one task changes whole and averages the entries several tasks change", async () => {
  const eps = 0.02;
  const { out } = await merge(["models:", "  - model: ${M}/task_a", "  - model: ${M}/task_b", "merge_method: ram", "base_model: ${M}/base", `parameters: {epsilon: ${eps}}`, "dtype: float32"]);
  let unique = 0;
  for (const name of ["model.layers.2.self_attn.k_proj.weight", "lm_head.weight"]) {
    const b = base.get(name)!;
    const ds = tasks.slice(0, 2).map((t) => deltaOf(t.get(name)!, b));
    const want = Array.from(b, (x, j) => {
      const live = ds.map((d) => Math.abs(d[j]!) > eps);
      const count = live.filter(Boolean).length;
      if (count === 1) unique++;
      return x + ds.reduce((s, d, i) => s + (live[i] ? d[j]! : 0), 0) / Math.max(1, count);
    });
    assertClose(out.get(name), want, name);
  }
  assert.ok(unique > 0, "some entries are changed by one task only");
});

/** mergekit's nuslerp on plain vectors: normalised, θ = acos(clamped cosine), linear where colinear. */
function nuslerpVector(t: number, v0: number[], v1: number[]): number[] {
  const norm = (v: number[]): number => Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), 1e-7);
  const n0 = norm(v0);
  const n1 = norm(v1);
  const cos = v0.reduce((s, x, k) => s + (x / n0) * (v1[k]! / n1), 0);
  const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(theta);
  if (Math.abs(sin) < 1e-8) return v0.map((x, k) => (1 - t) * x + t * v1[k]!);
  return v0.map((x, k) => (Math.sin((1 - t) * theta) * x + Math.sin(t * theta) * v1[k]!) / sin);
}

test("nuslerp with nuslerp_row_wise: true and nuslerp_flatten: false takes one angle per column", async () => {
  const { out, recipe } = await merge([
    "models:",
    "  - model: ${M}/task_a",
    "    parameters: {weight: 1}",
    "  - model: ${M}/task_b",
    "    parameters: {weight: 3}",
    "merge_method: nuslerp",
    "base_model: ${M}/base",
    "parameters: {nuslerp_row_wise: true, nuslerp_flatten: false}",
    "dtype: float32",
  ]);
  assert.match(recipe, /row_wise: true/);
  const t = 3 / 4;
  // A [64, 128] matrix: 128 columns of 64; a 1-D norm: one vector.
  for (const [name, cols] of [["model.layers.1.mlp.down_proj.weight", 128], ["model.norm.weight", 1]] as const) {
    const b = base.get(name)!;
    const [da, db] = tasks.slice(0, 2).map((m) => deltaOf(m.get(name)!, b));
    const want = new Array<number>(b.length);
    for (let c = 0; c < cols; c++) {
      const at: number[] = [];
      for (let j = c; j < b.length; j += cols) at.push(j);
      const mixed = nuslerpVector(t, at.map((j) => da![j]!), at.map((j) => db![j]!));
      at.forEach((j, k) => (want[j] = b[j]! + mixed[k]!));
    }
    assertClose(out.get(name), want, name, 1e-5);
  }
  // Per column is not per row: the same config with nuslerp_row_wise: false differs.
  const rows = await merge(["models:", "  - model: ${M}/task_a", "    parameters: {weight: 1}", "  - model: ${M}/task_b", "    parameters: {weight: 3}", "merge_method: nuslerp", "base_model: ${M}/base", "parameters: {nuslerp_flatten: false}", "dtype: float32"]);
  assert.notDeepEqual(rows.out.get("model.layers.1.mlp.down_proj.weight"), out.get("model.layers.1.mlp.down_proj.weight"));
});

for (const [dtype, r] of [["float32", Math.fround], ["bfloat16", roundBF16]] as const) {
  test(`arcee_fusion (dtype: ${dtype}) keeps the base except where |m − base|·KL of the row's softmaxes reaches median + 1.5·IQR`, async () => {
    // mergekit's own examples list the base among the models: the other one is fused into it.
    const { out, recipe } = await merge(["models:", "  - model: ${M}/base", "  - model: ${M}/task_a", "merge_method: arcee_fusion", "base_model: ${M}/base", `dtype: ${dtype}`]);
    assert.match(recipe, dtype === "float32" ? /arcee_fusion\(task_a, base: base\)/ : /arcee_fusion\(task_a, base: base, precision: "bf16"\)/);
    for (const [name, row] of [["model.layers.0.self_attn.q_proj.weight", 64], ["model.layers.2.mlp.down_proj.weight", 128], ["model.layers.1.input_layernorm.weight", 64]] as const) {
      // The tensors in the config's dtype, and every step rounded to it, as PyTorch computes (its
      // softmax and sums accumulate in float32 and round the result).
      const b = Array.from(base.get(name)!, r);
      const m = Array.from(tasks[0]!.get(name)!, r);
      const softmax = (x: number[], s: number): number[] => {
        const xs = x.slice(s, s + row);
        const max = Math.max(...xs);
        const e = xs.map((v) => Math.fround(Math.exp(v - max)));
        const sum = Math.fround(e.reduce((a, v) => a + v, 0));
        return e.map((v) => r(r(v / sum) + r(1e-8)));
      };
      const importance: number[] = [];
      for (let s = 0; s < b.length; s += row) {
        const p = softmax(m, s);
        const q = softmax(b, s);
        const kl = r(p.reduce((a, pk, k) => a + r(pk * r(Math.log(r(pk / q[k]!)))), 0));
        for (let j = s; j < s + row; j++) importance.push(r(Math.abs(r(m[j]! - b[j]!)) * kl));
      }
      // Fewer than 1,000,000 elements: mergekit sorts them all and takes the element at ⌊q·(n − 1)⌋.
      const sorted = [...importance].sort((x, y) => x - y);
      const quantile = (q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;
      const threshold = r(quantile(0.5) + r(1.5 * r(quantile(0.75) - quantile(0.25))));
      const got = out.get(name)!;
      let fused = 0;
      for (let j = 0; j < b.length; j++) {
        const take = importance[j]! >= threshold;
        const fusedValue = r(b[j]! + r(m[j]! - b[j]!));
        // An element within float32 rounding of the threshold may go either way.
        if (Math.abs(importance[j]! - threshold) <= 1e-6 * threshold) assert.ok(got[j] === b[j] || got[j] === fusedValue, `${name}[${j}] at the threshold`);
        else assert.equal(got[j], take ? fusedValue : b[j], `${name}[${j}]: importance ${importance[j]}, threshold ${threshold}`);
        fused += +take;
      }
      assert.ok(fused > 0 && fused < b.length / 4, `${name}: ${fused} of ${b.length} elements fused`);
    }
  });
}
