/**
 * mergekit configs as people write them: keys mergekit ignores are warnings at their key (with the
 * key meant), `tokenizer:` asking for the base tokenizer runs, and a refused entry is reported once,
 * without the errors that would only follow from it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../../src/language/diagnostics.js";
import { checkMergekitYaml } from "../../src/mergekit/index.js";
import { fixturesDir } from "../support/paths.js";
import { run } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const M = fixturesDir("reference", "models", "tiny_f32");

function withConfig<T>(lines: string[], f: (file: string, text: string, dir: string) => T): T {
  const dir = tempDir("mergelang-lenient-");
  try {
    const file = join(dir, "config.yml");
    const text = lines.join("\n").replaceAll("${M}", M);
    writeFileSync(file, text);
    return f(file, text, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const show = (d: Diagnostic): string => `${d.range.start.line}:${d.range.start.column} ${d.severity} ${d.code}: ${d.message}`;

test("keys mergekit ignores are warnings at their key and line, with the key meant; the merge runs", async () => {
  const lines = [
    "name: my-merge", // 1
    "models:",
    "  - model: ${M}/task_a",
    "    revision: main", // 4
    "    parameters: {weight: 1}",
    "  - model: ${M}/task_b",
    "    paramters: {weight: 2}", // 7: a typo, so task_b has no weight of its own
    "merge_method: ties",
    "base_model: ${M}/base",
    "normalize: true", // 10
    "select_topk: 0.5", // 11
    "dype: bfloat16", // 12
    "parameters: {weight: 1}",
  ];
  await withConfig(lines, async (file, text, dir) => {
    const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
    const shown = checked.diagnostics.map(show);
    assert.deepEqual(
      shown,
      [
        "1:1 warning mergekit-ignored: 'name' is not a mergekit key in the config, so mergekit ignores it too (it takes merge_method, models, slices, base_model, parameters, dtype, out_dtype, tokenizer_source, tokenizer, chat_template)",
        "4:5 warning mergekit-ignored: 'revision' is not a mergekit key in an entry of models, so mergekit ignores it too (it takes model, parameters)",
        "7:5 warning mergekit-ignored: 'paramters' is not a mergekit key in an entry of models, so mergekit ignores it too: did you mean 'parameters'?",
        "10:1 warning mergekit-ignored: 'normalize' is not a mergekit key in the config, so mergekit ignores it too: parameters go under parameters:",
        "11:1 warning mergekit-ignored: 'select_topk' is not a mergekit key in the config, so mergekit ignores it too: parameters go under parameters:",
        "12:1 warning mergekit-ignored: 'dype' is not a mergekit key in the config, so mergekit ignores it too: did you mean 'dtype'?",
      ],
      checked.recipe ?? "",
    );
    // What mergekit honours is honoured: the top-level weight reaches task_b; the ignored dtype does not.
    assert.match(checked.recipe!, /ties\(task_a, task_b, base: base, consensus: "sum", weights: 1, density: 1\)/);
    assert.doesNotMatch(checked.recipe!, /dtype:/);
    await run(checked.graph!);
    assert.ok(existsSync(join(dir, "out", "model.safetensors")));
  });
});

test("tokenizer: {source: base} and an empty tokenizer: run with the base model's tokenizer", async () => {
  for (const tokenizer of ["tokenizer: {source: base}", "tokenizer:\n  source: base", "tokenizer: {}", "tokenizer:"]) {
    const lines = ["models:", "  - model: ${M}/task_a", "    parameters: {weight: 1}", "merge_method: task_arithmetic", "base_model: ${M}/base", tokenizer];
    await withConfig(lines, async (file, text, dir) => {
      const checked = checkMergekitYaml(text, file, { output: join(dir, "out") });
      assert.deepEqual(checked.diagnostics.map(show), [], tokenizer);
      assert.doesNotMatch(checked.recipe!, /copy_tokenizer: false/);
      await run(checked.graph!);
      assert.ok(existsSync(join(dir, "out", "tokenizer_config.json")), `${tokenizer}: the base tokenizer is copied`);
    });
  }
});

test("tokenizer: settings that build a tokenizer are imported as save's tokenizer arguments", () => {
  const recipe = (tokenizer: string[]): string =>
    withConfig(["models:", "  - model: ${M}/task_a", "    parameters: {weight: 1}", "merge_method: task_arithmetic", "base_model: ${M}/base", ...tokenizer], (file, text) => {
      const r = checkMergekitYaml(text, file, { models: null });
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(show), []);
      return r.recipe!;
    });
  assert.match(recipe(["tokenizer:", "  source: union"]), /tokenizer: "union"/);
  assert.match(recipe(["tokenizer:", "  source: base", "  pad_to_multiple_of: 64"]), /tokenizer: "base", pad_to_multiple_of: 64/);
});

/** The error lines of a config (without model headers: the shape of the config is what matters). */
function errorsOf(lines: string[]): string[] {
  return withConfig(lines, (file, text) => checkMergekitYaml(text, file).diagnostics.filter((d) => d.severity === "error").map(show));
}

test("one error per cause: a LoRA adapter that cannot be found is one error, with no follow-on errors", () => {
  const missing = /error model-not-found: 'adapters\/\w' is not a local folder/;
  const allLora = errorsOf(["models:", "  - model: ${M}/task_a+adapters/a", "    parameters: {weight: 1}", "  - model: ${M}/task_b+adapters/b", "    parameters: {weight: 1}", "merge_method: task_arithmetic", "base_model: ${M}/base"]);
  assert.equal(allLora.length, 2, allLora.join("\n"));
  assert.ok(allLora.every((e) => missing.test(e)));
  assert.match(allLora[0]!, /^2:12 /);
  assert.match(allLora[1]!, /^4:12 /);

  const loraBase = errorsOf(["models:", "  - model: ${M}/task_a", "  - model: ${M}/task_b", "merge_method: sce", "base_model: ${M}/base+adapters/x"]);
  assert.equal(loraBase.length, 1, loraBase.join("\n"));
  assert.match(loraBase[0]!, missing);

  const slice = errorsOf(["slices:", "  - sources:", "      - model: ${M}/task_a+adapters/a", "        layer_range: [0, 4]", "merge_method: passthrough"]);
  assert.equal(slice.length, 1, slice.join("\n"));
  assert.match(slice[0]!, missing);

  const modules = errorsOf(["modules:", "  text_decoder:", "    models:", "      - model: ${M}/task_a", "merge_method: linear"]);
  assert.deepEqual(modules, ["1:1 error mergekit-unsupported: multi-module merges (modules:) are not supported: merge each module's models separately"]);

  // A config that really lacks them still gets the errors.
  assert.match(errorsOf(["models: []", "merge_method: linear"]).join("\n"), /models: is empty/);
  assert.match(errorsOf(["models:", "  - model: ${M}/task_a", "merge_method: sce"]).join("\n"), /sce needs base_model/);
});
