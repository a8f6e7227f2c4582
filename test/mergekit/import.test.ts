import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Graph, MergeNode } from "../../src/graph/graph.js";
import { resolveParams } from "../../src/graph/params.js";
import { checkRecipe } from "../../src/language/service.js";
import { formatRecipe } from "../../src/language/formatter.js";
import { checkMergekitYaml, recipeFromMergekitYaml } from "../../src/mergekit/index.js";
import { methodNames } from "../../src/mergekit/methods.js";
import { importCommand } from "../../src/cli/commands/import.js";
import { applyMethod } from "../../src/engine/in-memory.js";
import { slerpCoefficients } from "../../src/methods/slerp.js";
import { fixturesDir } from "../support/paths.js";
import { countMismatches, readAll } from "../engine/compare.js";
import { configNames, configText, configsDir, readF32, run, tensorBytes } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const tmp = (): string => tempDir("mergelang-mergekit-");
const models = fixturesDir("reference", "models", "tiny_f32");

function mergeNodes(graph: Graph): MergeNode[] {
  return graph.nodes.filter((n): n is MergeNode => n.kind === "merge");
}

test("there is a fixture config for every mergekit method mergelang runs", () => {
  const used = new Set(configNames().map((n) => /merge_method:\s*(\w+)/.exec(configText(n).text)![1]!));
  for (const m of methodNames()) assert.ok(used.has(m), `no config in test/fixtures/mergekit uses merge_method: ${m}`);
});

for (const name of configNames()) {
  test(`${name}.yml imports, checks, and runs to the same tensors as its imported recipe`, async () => {
    const { file, text } = configText(name);
    const dir = tmp();
    try {
      const imported = recipeFromMergekitYaml(text, file, { output: join(dir, "from-recipe") });
      assert.deepEqual(imported.diagnostics, [], `import diagnostics of ${name}`);
      assert.ok(imported.recipe);
      assert.deepEqual(formatRecipe(imported.recipe), { ok: true, text: imported.recipe }, "the import is laid out as mergelang fmt would");
      const fromRecipe = checkRecipe(imported.recipe, join(configsDir(), `${name}.merge`));
      assert.deepEqual(fromRecipe.diagnostics.filter((d) => d.severity !== "hint"), [], imported.recipe);
      const fromYaml = checkMergekitYaml(text, file, { output: join(dir, "from-yaml") });
      assert.deepEqual(fromYaml.diagnostics, []);
      await run(fromYaml.graph!);
      await run(fromRecipe.graph!);
      const a = tensorBytes(join(dir, "from-yaml"));
      const b = tensorBytes(join(dir, "from-recipe"));
      assert.deepEqual(a.order, b.order);
      assert.deepEqual(a.meta, b.meta);
      for (const [tensor, bytes] of a.bytes) assert.ok(bytes.equals(b.bytes.get(tensor)!), `${name}: tensor ${tensor} differs`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("mergelang import prints the recipe the translation makes", async () => {
  const { file, text } = configText("slerp");
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await importCommand.run([file, "--out", "out/slerp"]);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  assert.equal(chunks.join(""), recipeFromMergekitYaml(text, file, { output: "out/slerp" }).recipe);
  assert.match(chunks.join(""), /where "\*self_attn\*" \{ t: gradient\(0, 0\.5, 0\.3, 0\.7, 1\) \}/);
});

for (const [config, expected] of [
  ["reference_ties", "ties_tensor_d30_w"],
  ["reference_task_arithmetic", "task_arithmetic_l04"],
  ["reference_linear", "linear_mean"],
] as const) {
  test(`${config}.yml matches mergekit's own output for ${expected} (the reference tolerance)`, async () => {
    const { file, text } = configText(config);
    const dir = tmp();
    try {
      const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
      assert.deepEqual(checked.diagnostics, []);
      await run(checked.graph!);
      const m = countMismatches(readAll(join(dir, "out")), readAll(fixturesDir("reference", "expected", `${expected}.safetensors`)), false);
      assert.ok(m.bad <= m.total * 1e-4, `${m.bad} of ${m.total} elements differ; worst ${m.worst}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** mergekit's t for a tensor of a 4-layer model (every tensor outside the layers at 0). */
function mergekitT(tensor: string): number {
  const layer = /layers\.(\d+)\./.exec(tensor);
  if (layer) return Number(layer[1]) / 3;
  return 0;
}

function interp(values: number[], t: number): number {
  const x = t * (values.length - 1);
  const i = Math.floor(x);
  const j = Math.min(values.length - 1, i + 1);
  return (1 - (x - i)) * values[i]! + (x - i) * values[j]!;
}

test("slerp's filtered gradients give every tensor mergekit's t, and the output is the slerp at that t", async () => {
  const { file, text } = configText("slerp");
  const dir = tmp();
  try {
    const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
    const [node] = mergeNodes(checked.graph!);
    const names = [...readAll(join(models, "base")).keys()];
    for (const name of names) {
      const t = mergekitT(name);
      const want = name.includes("self_attn") ? interp([0, 0.5, 0.3, 0.7, 1], t) : name.includes("mlp") ? interp([1, 0.5, 0.7, 0.3, 0], t) : 0.5;
      const got = resolveParams(node!.params, name, 4)["t"] as number;
      assert.ok(Math.abs(got - want) < 1e-12, `${name}: t ${got}, mergekit ${want}`);
    }
    await run(checked.graph!);
    const tensor = "model.layers.2.self_attn.q_proj.weight";
    const a = readF32(join(models, "base"), tensor);
    const b = readF32(join(models, "task_a"), tensor);
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) {
      ab += a[i]! * b[i]!;
      aa += a[i]! * a[i]!;
      bb += b[i]! * b[i]!;
    }
    const [ca, cb] = slerpCoefficients(interp([0, 0.5, 0.3, 0.7, 1], 2 / 3), { ab, aa, bb });
    const out = readF32(join(dir, "out"), tensor);
    out.forEach((x, i) => assert.ok(Math.abs(x - Math.fround(ca * a[i]! + cb * b[i]!)) <= 1e-6, `element ${i}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a passthrough frankenmerge stacks the slices' layers, renumbered, with a config of 6 layers", async () => {
  const { file, text } = configText("passthrough");
  const dir = tmp();
  try {
    const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
    await run(checked.graph!);
    const out = readAll(join(dir, "out"));
    const a = readAll(join(models, "task_a"));
    const b = readAll(join(models, "task_b"));
    assert.equal(out.size, 1 + 6 * 9 + 2);
    const suffix = "mlp.up_proj.weight";
    // layer_range [0, 3] of task_a, then [1, 4] of task_b (ends excluded).
    const sources: [Map<string, Float32Array>, number][] = [[a, 0], [a, 1], [a, 2], [b, 1], [b, 2], [b, 3]];
    sources.forEach(([model, layer], i) => assert.deepEqual(out.get(`model.layers.${i}.${suffix}`), model.get(`model.layers.${layer}.${suffix}`)));
    assert.deepEqual(out.get("model.embed_tokens.weight"), a.get("model.embed_tokens.weight"));
    assert.deepEqual(out.get("lm_head.weight"), b.get("lm_head.weight"));
    assert.deepEqual(out.get("model.norm.weight"), b.get("model.norm.weight"));
    const config = JSON.parse(readFileSync(join(dir, "out", "config.json"), "utf8")) as { num_hidden_layers: number };
    assert.equal(config.num_hidden_layers, 6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("merged slices restart their gradients: each slice's layers take the slice's own t", async () => {
  const { file, text } = configText("slices_ties");
  const dir = tmp();
  try {
    const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
    await run(checked.graph!);
    const tensor = "mlp.up_proj.weight";
    const at = (model: string, layer: number): Float32Array => readF32(join(models, model), `model.layers.${layer}.${tensor}`);
    const out = readAll(join(dir, "out"));
    // Output layer 3 is the second layer of the second slice (source layer 2): t = 1/2, density 0.2 + 0.6/2.
    const expected = applyMethod("ties", { density: 0.5 }, [at("task_a", 2), at("task_b", 2)], at("base", 2));
    assert.deepEqual(out.get(`model.layers.3.${tensor}`), expected);
    // Output layer 4: t = 1, density 0.8. Output layer 1: the first slice's density 0.5 everywhere.
    assert.deepEqual(out.get(`model.layers.4.${tensor}`), applyMethod("ties", { density: 0.8 }, [at("task_a", 3), at("task_b", 3)], at("base", 3)));
    assert.deepEqual(out.get(`model.layers.1.${tensor}`), applyMethod("ties", { density: 0.5 }, [at("task_a", 1), at("task_b", 1)], at("base", 1)));
    assert.equal(out.size, 1 + 5 * 9 + 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("per-model gradients and mergekit's parameter conventions reach the graph", () => {
  // A per-model parameter may be one number for every model.
  const perModel = (v: unknown): unknown => (typeof v === "number" ? [v, v] : v);
  const resolved = (name: string, tensor: string): Record<string, unknown> => {
    const { file, text } = configText(name);
    const [node] = mergeNodes(checkMergekitYaml(text, file).graph!);
    return resolveParams(node!.params, tensor, 4);
  };
  // dare_linear: task_a's density [0.3, 0.9] over 4 layers; the head and the embeddings are at t = 0
  // (mergekit's planner since March 2025).
  for (let layer = 0; layer < 4; layer++) {
    const got = perModel(resolved("dare_linear", `model.layers.${layer}.mlp.up_proj.weight`)["density"]) as number[];
    assert.ok(Math.abs(got[0]! - (0.3 + 0.2 * layer)) < 1e-12 && got[1] === 0.5, `layer ${layer}: ${got}`);
  }
  assert.deepEqual(resolved("dare_linear", "lm_head.weight")["density"], [0.3, 0.5]);
  assert.deepEqual(resolved("dare_linear", "model.norm.weight")["density"], [0.3, 0.5]);
  assert.deepEqual(resolved("dare_linear", "model.embed_tokens.weight")["density"], [0.3, 0.5]);
  // mergekit's rescale keeps the L1 norm; its DELLA epsilon is half of mergelang's spread.
  const della = resolved("della", "model.norm.weight");
  assert.equal(della["rescale"], "l1");
  assert.equal(della["epsilon"], 0.3);
  assert.equal(della["consensus"], "sum");
  assert.equal(resolved("della_linear", "model.norm.weight")["normalize"], false);
  // task_arithmetic's normalize divides by the weights' sum.
  const w = resolved("task_arithmetic", "model.norm.weight")["weights"] as number[];
  assert.ok(Math.abs(w[0]! - 2 / 3) < 1e-9 && Math.abs(w[1]! - 1 / 3) < 1e-9);
  assert.equal(resolved("passthrough_scale", "model.layers.1.mlp.down_proj.weight")["scale"], 0.5);
  assert.equal(resolved("passthrough_scale", "model.layers.1.mlp.up_proj.weight")["scale"], 1);
});

function errorsOf(yaml: string): string[] {
  const file = join(configsDir(), "inline.yml");
  const r = checkMergekitYaml(yaml, file);
  return r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.range.start.line}:${d.range.start.column} ${d.code}: ${d.message}`);
}

const R = "../reference/models/tiny_f32";

test("settings mergelang cannot run are errors that name the key and its line", () => {
  const errors = errorsOf(
    [
      "models:",
      `  - model: ${R}/task_a`,
      "    parameters:",
      "      weight: 1.0",
      "merge_method: ties",
      `base_model: ${R}/base`,
      "modules: {}",
      "dtype: int8",
      "merge_options: {}",
    ].join("\n"),
  );
  // merge_options: is a warning (mergekit ignores keys it does not know too).
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.match(errors[0]!, /^7:1 mergekit-unsupported: multi-module merges/);
  assert.match(errors[1]!, /^8:8 mergekit-unsupported: dtype 'int8' is not supported/);
});

test("Hub ids missing from the cache, missing adapters and unknown methods are errors", () => {
  const cache = tmp();
  const saved = process.env.HF_HUB_CACHE;
  process.env.HF_HUB_CACHE = cache;
  try {
    const hf = errorsOf(["models:", "  - model: mistralai/Mistral-7B-v0.1", "    parameters: {weight: 1}", "merge_method: linear"].join("\n"));
    assert.match(hf.join("\n"), /2:12 model-not-found: 'mistralai\/Mistral-7B-v0.1' is not a local folder \(no .*\) and not in the Hugging Face cache/);
    assert.ok(hf.join("\n").includes(join(cache, "models--mistralai--Mistral-7B-v0.1")));
    assert.match(hf.join("\n"), /mergelang fetch mistralai\/Mistral-7B-v0.1/);
    const lora = errorsOf(["models:", `  - model: ${R}/task_a+adapters/x`, "merge_method: linear"].join("\n"));
    assert.match(lora.join("\n"), /2:12 model-not-found: 'adapters\/x' is not a local folder/);
  } finally {
    if (saved === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = saved;
  }
  const method = errorsOf(["models:", `  - model: ${R}/task_a`, "merge_method: tise"].join("\n"));
  assert.match(method.join("\n"), /3:15 mergekit-invalid: 'tise' is not a mergekit merge method .*did you mean 'ties'/);
  const core = errorsOf(["models:", `  - model: ${R}/task_a`, "merge_method: core_space"].join("\n"));
  assert.match(core.join("\n"), /mergekit-unsupported: merge_method: core_space is not supported/);
  const fusion = errorsOf(["models:", `  - model: ${R}/task_a`, "merge_method: arcee_fusion"].join("\n"));
  assert.match(fusion.join("\n"), /merge_method: arcee_fusion needs base_model/);
});

test("layer ranges are half-open and checked against the models; missing weights and bases are errors", () => {
  const beyond = errorsOf(["slices:", "  - sources:", `      - model: ${R}/task_a`, "        layer_range: [2, 6]", "merge_method: passthrough"].join("\n"));
  assert.match(beyond.join("\n"), /4:22 mergekit-invalid: layer_range \[2, 6\] goes beyond .* which has 4 layers/);
  const empty = errorsOf(["slices:", "  - sources:", `      - model: ${R}/task_a`, "        layer_range: [2, 2]", "merge_method: passthrough"].join("\n"));
  assert.match(empty.join("\n"), /4:22 mergekit-invalid: layer_range \[2, 2\] is empty/);
  const weight = errorsOf(["models:", `  - model: ${R}/task_a`, `  - model: ${R}/task_b`, "    parameters: {weight: 1}", "merge_method: ties", `base_model: ${R}/base`].join("\n"));
  assert.match(weight.join("\n"), /2:5 mergekit-invalid: ties needs a weight for every model: '.*task_a' has none/);
  const base = errorsOf(["models:", `  - model: ${R}/task_a`, "    parameters: {weight: 1}", "merge_method: ties"].join("\n"));
  assert.match(base.join("\n"), /4:15 mergekit-invalid: merge_method: ties needs base_model/);
  const della = errorsOf(["models:", `  - model: ${R}/task_a`, "    parameters: {weight: 1, density: 0.9, epsilon: 0.2}", "merge_method: della", `base_model: ${R}/base`].join("\n"));
  assert.match(della.join("\n"), /mergekit-invalid: della: density ± epsilon must stay within \(0, 1\)/);
});

test("a recipe problem is reported at the YAML key it comes from", () => {
  const errors = errorsOf(["models:", `  - model: ${R}/task_a`, "    parameters:", "      weight: 1", "      density: 1.5", "merge_method: dare_linear", `base_model: ${R}/base`].join("\n"));
  assert.deepEqual(errors, ["5:16 out-of-range: 'density' must be > 0 and ≤ 1, not 1.5"]);
  const yamlError = errorsOf("models: [\n");
  assert.match(yamlError.join("\n"), /yaml-syntax/);
});

test("parameters mergekit ignores are warnings, not silent", () => {
  const file = join(configsDir(), "inline.yml");
  const r = checkMergekitYaml(["models:", `  - model: ${R}/task_a`, "    parameters: {weight: 1, densty: 0.5}", "merge_method: ties", `base_model: ${R}/base`].join("\n"), file);
  const warnings = r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.message);
  assert.deepEqual(warnings, ["ties has no parameter 'densty' (did you mean 'density'?): mergekit ignores it"]);
  assert.ok(r.graph);
});

test("without model headers the import writes mergekit's layout as it is (gradients, filters)", () => {
  const { file, text } = configText("slerp");
  const r = recipeFromMergekitYaml(text, file, { models: null });
  assert.deepEqual(r.diagnostics, []);
  assert.match(r.recipe!, /t: 0\.5\)\n  where "\*mlp\*"\s+\{ t: gradient\(1, 0\.5, 0\.7, 0\.3, 0\) \}\n  where "\*self_attn\*" \{ t: gradient\(0, 0\.5, 0\.3, 0\.7, 1\) \}/);
});
