import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { executeGraph } from "../../src/engine/executor.js";
import { planGraph } from "../../src/engine/plan.js";
import { renumberLayer, stackTensors, StackError } from "../../src/graph/stack.js";
import { formatRecipe } from "../../src/language/formatter.js";
import { checkRecipe } from "../../src/language/service.js";
import { fixturesDir } from "../support/paths.js";
import { readAll } from "../engine/compare.js";
import { writeModel } from "../engine/models.js";
import { tempDir } from "../support/temp-dir.js";

const models = fixturesDir("reference", "models", "tiny_f32");
const header = ["a = model(\"task_a\")", "b = model(\"task_b\")", "base = model(\"base\")", ""].join("\n");
const recipeFile = join(models, "stacking.merge");

const tmp = (): string => tempDir("mergelang-stack-");

function check(body: string) {
  return checkRecipe(header + body, recipeFile);
}

function errors(body: string): string[] {
  return check(body)
    .diagnostics.filter((d) => d.severity !== "hint")
    .map((d) => `${d.severity} ${d.code}: ${d.message}`);
}

async function saveAll(body: string, threads = 1, maxChunkElements?: number): Promise<void> {
  const c = check(body);
  assert.deepEqual(errors(body).filter((e) => e.startsWith("error")), []);
  await executeGraph(c.graph!, { threads, ...(maxChunkElements ? { maxChunkElements } : {}) });
}

test("stackTensors: embeddings from the first part, layers renumbered in order, final norm and head from the last", () => {
  const t = (names: string[]): [string, string][] => names.map((n) => [n, n]);
  const a = t(["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.w", "model.layers.1.w", "model.layers.2.w", "model.norm.weight"]);
  const b = t(["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.w", "model.layers.1.w", "model.norm.weight"]);
  const s = stackTensors([
    { tensors: a, layerCount: 3, from: 1, to: 2 },
    { tensors: b, layerCount: 2, from: 0, to: null },
  ]);
  assert.equal(s.layerCount, 4);
  assert.deepEqual(
    s.tensors.map((x) => `${x.name} <- ${x.part}:${x.source}`),
    [
      "model.embed_tokens.weight <- 0:model.embed_tokens.weight",
      "model.layers.0.w <- 0:model.layers.1.w",
      "model.layers.1.w <- 0:model.layers.2.w",
      "model.layers.2.w <- 1:model.layers.0.w",
      "model.layers.3.w <- 1:model.layers.1.w",
      "lm_head.weight <- 1:lm_head.weight",
      "model.norm.weight <- 1:model.norm.weight",
    ],
  );
  assert.throws(() => stackTensors([{ tensors: a, layerCount: 3, from: 2, to: 3 }]), (e: unknown) => e instanceof StackError && /layers 2\.\.3 are not layers of this model: it has 3 layers \(0\.\.2\)/.test(e.message));
  assert.equal(renumberLayer("transformer.h.layers.12.attn.w", 3), "transformer.h.layers.3.attn.w");
  assert.equal(renumberLayer("lm_head.weight", 3), "lm_head.weight");
});

test("layers a..b is a value: it parses, formats and checks like a where selector", () => {
  assert.deepEqual(formatRecipe("s = slice( a,layers 0..2 )\nt = slice(a, layers   3)\n"), { ok: true, text: "s = slice(a, layers 0..2)\nt = slice(a, layers 3)\n" });
  assert.deepEqual(errors("s = slice(a, layers 1..2)\nsave(s, \"out\")"), []);
  assert.match(errors("s = slice(a, layers 2..1)\nsave(s, \"out\")").join("\n"), /error bad-selector: layers 2\.\.1 is empty.*did you mean 1\.\.2/);
  assert.match(errors("s = slice(a, layers 1.5..2)\nsave(s, \"out\")").join("\n"), /error bad-selector: layer numbers are whole numbers/);
  assert.match(errors("s = slice(a, layers 2..5)\nsave(s, \"out\")").join("\n"), /error layers-out-of-range: layers 2\.\.5 are not layers of this model: it has 4 layers/);
  assert.match(errors("s = slice(a, 3)\nsave(s, \"out\")").join("\n"), /error wrong-type: 'layers' of slice\(\) takes a layer range such as layers 0\.\.15, but this is a number/);
  assert.match(errors("x = layers 0..3 + 1").join("\n"), /error invalid-arithmetic: cannot apply '\+' to a layer range and a number/);
  assert.match(errors("s = slice(a, layers 0..1) where layers 0 { t: 1 }").join("\n"), /error where-not-allowed/);
});

test("merges of slices see the slice's own layers: where clauses past them are flagged", () => {
  const body = "m = ties(slice(a, layers 2..3), slice(b, layers 0..1), base: slice(base, layers 1..2))\n  where layers 2..3 { density: 0.5 }\nsave(m, \"out\")";
  assert.match(errors(body).join("\n"), /warning layers-out-of-range: the models have 2 layers \(0\.\.1\); layers 2\.\.3 goes beyond them/);
});

test("gradient(v...) is mergekit's gradient list: evenly spaced values over the selected layers", () => {
  assert.deepEqual(errors("m = slerp(a, b, t: gradient(0, 1, 0))\nsave(m, \"out\")"), []);
  assert.match(errors("m = slerp(a, b, t: gradient(0))\nsave(m, \"out\")").join("\n"), /gradient\(\) needs at least 2 values, given 1/);
  assert.match(errors("m = slerp(a, b, t: gradient(0, 2))\nsave(m, \"out\")").join("\n"), /out-of-range: 't' must be ≥ 0 and ≤ 1, not 2/);
  const g = check("m = slerp(a, b) where \"*mlp*\" { t: gradient(0, 1, 0) }\nsave(m, \"out\")").graph!;
  const node = g.nodes.find((n) => n.kind === "merge")!;
  assert.deepEqual(node.kind === "merge" && node.params.where[0]!.values["t"], { kind: "ramp", from: 0, to: 0, points: [0, 1, 0] });
});

test("stacks of stacks, and merges of stacks that read different source layers, evaluate each tensor from its source", async () => {
  const dir = tmp();
  try {
    const out = (n: string): string => JSON.stringify(join(dir, n));
    await saveAll(
      [
        "x = passthrough(passthrough(slice(a, layers 0..1), slice(b, layers 2..3)), slice(a, layers 3))",
        "y = passthrough(slice(b, layers 1..3), slice(a, layers 0..1))",
        `save(x, ${out("x")})`,
        `save(linear(x, y, weights: [0.25, 0.75]), ${out("xy")})`,
      ].join("\n"),
    );
    const a = readAll(join(models, "task_a"));
    const b = readAll(join(models, "task_b"));
    const x = readAll(join(dir, "x"));
    const xy = readAll(join(dir, "xy"));
    const name = (l: number): string => `model.layers.${l}.self_attn.v_proj.weight`;
    const xSources: [Map<string, Float32Array>, number][] = [[a, 0], [a, 1], [b, 2], [b, 3], [a, 3]];
    const ySources: [Map<string, Float32Array>, number][] = [[b, 1], [b, 2], [b, 3], [a, 0], [a, 1]];
    xSources.forEach(([m, l], i) => assert.deepEqual(x.get(name(i)), m.get(name(l))));
    for (let i = 0; i < 5; i++) {
      const p = xSources[i]![0].get(name(xSources[i]![1]))!;
      const q = ySources[i]![0].get(name(ySources[i]![1]))!;
      assert.deepEqual(xy.get(name(i)), p.map((v, k) => 0.25 * v + 0.75 * q[k]!));
    }
    assert.equal(JSON.parse(readFileSync(join(dir, "xy", "config.json"), "utf8")).num_hidden_layers, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("statistics under a stack: chunked tensors, threads and global scope give the same model", async () => {
  const dir = tmp();
  try {
    const recipe = (n: string, scope: string): string =>
      [
        `m = ties(slice(a, layers 1..2), slice(b, layers 2..3), base: slice(base, layers 0..1), density: 0.3, scope: "${scope}")`,
        `  where layers 0..1 { lambda: ramp(0.5, 1.5) }`,
        `save(passthrough(m, slice(base, layers 3)), ${JSON.stringify(join(dir, n))})`,
      ].join("\n");
    await saveAll(recipe("whole", "tensor"));
    await saveAll(recipe("chunked", "tensor"), 2, 1000);
    assert.deepEqual(readAll(join(dir, "chunked")), readAll(join(dir, "whole")));
    // Global scope over slices equals global scope over the same layers saved as models of their own.
    await saveAll(recipe("global", "global"));
    const parts = ["a, layers 1..2", "b, layers 2..3", "base, layers 0..1"].map((p, i) => `save(slice(${p}), ${JSON.stringify(join(dir, `p${i}`))})`);
    await saveAll(parts.join("\n"));
    const direct = checkRecipe(
      [
        `m = ties(model(${JSON.stringify(join(dir, "p0"))}), model(${JSON.stringify(join(dir, "p1"))}), base: model(${JSON.stringify(join(dir, "p2"))}), density: 0.3, scope: "global")`,
        `  where layers 0..1 { lambda: ramp(0.5, 1.5) }`,
        `save(m, ${JSON.stringify(join(dir, "direct"))})`,
      ].join("\n"),
      join(dir, "direct.merge"),
    );
    await executeGraph(direct.graph!, { threads: 1 });
    const global = readAll(join(dir, "global"));
    for (const [name, t] of readAll(join(dir, "direct"))) {
      const stacked = name.startsWith("model.norm") || name.startsWith("lm_head") ? null : global.get(name);
      if (stacked) assert.deepEqual(stacked, t, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a dry run plans a stacked save from the headers", () => {
  const c = check('s = passthrough(slice(a, layers 0..2), slice(b, layers 1..3))\nsave(s, "out-never-written")');
  const plan = planGraph(c.graph!);
  assert.equal(plan.saves[0]!.tensors, 1 + 6 * 9 + 2);
  const perLayer = 2 * 64 + 4 * 64 * 64 + 3 * 64 * 128;
  assert.equal(plan.saves[0]!.parameters, 2 * 256 * 64 + 64 + 6 * perLayer);
  assert.equal(plan.saves[0]!.bytesRead, 4 * plan.saves[0]!.parameters);
});

test("non-float tensors are carried through a stack from the model they come from", async () => {
  const dir = tmp();
  try {
    const f = (n: number, v: number): Float32Array => new Float32Array(n).fill(v);
    const ids = (v: number): Uint8Array => new Uint8Array(new Int32Array([v, v + 1]).buffer);
    for (const [name, v] of [["p", 1], ["q", 2]] as const) {
      await writeModel(join(dir, name), [
        { name: "model.embed_tokens.weight", shape: [2, 2], data: f(4, v) },
        { name: "model.layers.0.w", shape: [2], data: f(2, v) },
        { name: "model.layers.0.ids", shape: [2], data: ids(10 * v), dtype: "I32" },
        { name: "model.layers.1.w", shape: [2], data: f(2, v + 0.5) },
        { name: "model.layers.1.ids", shape: [2], data: ids(10 * v + 5), dtype: "I32" },
        { name: "model.norm.weight", shape: [2], data: f(2, v) },
      ]);
    }
    const c = checkRecipe(`s = passthrough(slice(model("p"), layers 1), model("q"))\nsave(s, "s")`, join(dir, "r.merge"));
    assert.deepEqual(c.diagnostics.filter((d) => d.severity === "error"), []);
    await executeGraph(c.graph!, { threads: 1 });
    const raw = readFileSync(join(dir, "s", "model.safetensors"));
    const headerLength = Number(raw.readBigUInt64LE(0));
    const h = JSON.parse(raw.subarray(8, 8 + headerLength).toString()) as Record<string, { data_offsets: [number, number] }>;
    const ints = (name: string): number[] => [...new Int32Array(Uint8Array.from(raw.subarray(8 + headerLength + h[name]!.data_offsets[0], 8 + headerLength + h[name]!.data_offsets[1])).buffer)];
    assert.deepEqual(ints("model.layers.0.ids"), [15, 16]);
    assert.deepEqual(ints("model.layers.1.ids"), [20, 21]);
    assert.deepEqual(ints("model.layers.2.ids"), [25, 26]);
    assert.deepEqual(readAll(join(dir, "s")).get("model.layers.2.w"), new Float32Array([2.5, 2.5]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a notebook evaluates a stacked value's tensors (through the engine, once)", async () => {
  const { TensorEvaluator } = await import("../../src/session/tensor-eval.js");
  const { TensorCache } = await import("../../src/session/tensor-cache.js");
  const { HeaderCache } = await import("../../src/io/index.js");
  const dir = tmp();
  try {
    const c = check("s = passthrough(slice(a, layers 0..1), slice(b, layers 3))\ns - slice(base, layers 1..3)");
    const graph = c.graph!;
    const root = graph.nodes.find((n) => n.kind === "affine")!.id;
    const evaluator = new TensorEvaluator(graph, root, new TensorCache(), new HeaderCache(), { scratchDir: () => dir });
    try {
      const tensors = evaluator.tensors();
      assert.equal(tensors.length, 1 + 3 * 9 + 2);
      const name = "model.layers.2.mlp.gate_proj.weight";
      const got = await evaluator.evaluate(tensors.find((t) => t.name === name)!);
      const b3 = readAll(join(models, "task_b")).get("model.layers.3.mlp.gate_proj.weight")!;
      const base3 = readAll(join(models, "base")).get("model.layers.3.mlp.gate_proj.weight")!;
      got.forEach((x, i) => assert.ok(Math.abs(x - (b3[i]! - base3[i]!)) <= 1e-6, `element ${i}`));
    } finally {
      evaluator.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
