// The model card and __metadata__ of a saved merge (issue 23): mergekit's front matter and sections,
// the statements that produced this output only, and no absolute local path anywhere in the output.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readModelHeader } from "../../src/io/index.js";
import { checkRecipe } from "../../src/language/service.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

test("the card lists base and merged models, the method with its paper, and only the producing statements, without local paths", async () => {
  const family = fixturesDir("reference", "models", "tiny_f32");
  // The base lives outside the recipe's folder, in a Hugging Face cache layout, with transformers' absolute _name_or_path.
  const elsewhere = tempDir("mergelang-hub-");
  const snapshot = join(elsewhere, "hub", "models--acme--tiny-base", "snapshots", "0123abcd");
  mkdirSync(snapshot, { recursive: true });
  cpSync(join(family, "base"), snapshot, { recursive: true });
  const config = JSON.parse(readFileSync(join(snapshot, "config.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(snapshot, "config.json"), JSON.stringify({ ...config, _name_or_path: snapshot }));
  const dir = tempDir("mergelang-card-");
  cpSync(join(family, "task_a"), join(dir, "models", "math"), { recursive: true });
  cpSync(join(family, "task_b"), join(elsewhere, "code"), { recursive: true });
  const text = [
    `base = model(${JSON.stringify(snapshot)})`,
    'math = model("models/math")',
    `code = model(${JSON.stringify(join(elsewhere, "code"))})`,
    "other = linear(math, code)",
    "merged = ties(math, code, base: base, density: 0.3)",
    `save(merged, ${JSON.stringify(join(dir, "out", "math-code"))}, dtype: "bf16")`,
    'save(other, "out/other")',
    "",
  ].join("\n");
  writeFileSync(join(dir, "r.merge"), text);
  const checked = checkRecipe(text, join(dir, "r.merge"));
  assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
  await runGraph(checked.graph!, { threads: 1 });

  const out = join(dir, "out", "math-code");
  const card = readFileSync(join(out, "README.md"), "utf8");
  const front = card.split("---\n")[1]!;
  assert.equal(front, "base_model:\n- acme/tiny-base\n- models/math\n- code\nlibrary_name: transformers\ntags:\n- merge\n- mergelang\n");
  assert.match(card, /^## Merge method\n\nMerged with `ties`, from \[TIES-Merging: Resolving Interference When Merging Models\]\(https:\/\/arxiv\.org\/abs\/2306\.01708\) .*, with `acme\/tiny-base` as the base\.$/m);
  assert.match(card, /^## Models merged\n\n- `models\/math` \(math\)\n- `code`\n/m);
  const recipe = /```mergelang\n([\s\S]*?)\n```/.exec(card)![1]!;
  assert.equal(
    recipe,
    ['base = model("acme/tiny-base")', 'math = model("models/math")', 'code = model("code")', "merged = ties(math, code, base: base, density: 0.3)", 'save(merged, "out/math-code", dtype: "bf16")'].join("\n"),
    "the producing statements, not `other`, paths named",
  );

  for (const root of [dir, elsewhere]) {
    for (const file of readdirSync(out)) {
      assert.ok(!readFileSync(join(out, file), "latin1").includes(root), `${file} names the local folder ${root}`);
    }
  }
  const metadata = readModelHeader(out).metadata;
  assert.equal(metadata["mergelang.recipe"], recipe);
  assert.equal((JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { _name_or_path: string })._name_or_path, "acme/tiny-base");
});
