// What a new user meets first (issue 23): checks that catch what run would fail on, messages with a
// way forward, and a check that says what it covered.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd });

/** A folder with the tiny model family under models/, a differently shaped model under wide/, and `recipe` as r.merge. */
function workspace(recipe: string): string {
  const dir = tempDir("mergelang-first-run-");
  cpSync(fixturesDir("reference", "models", "tiny_f32"), join(dir, "models"), { recursive: true });
  cpSync(fixturesDir("models", "tiny_wide"), join(dir, "wide"), { recursive: true });
  writeFileSync(join(dir, "r.merge"), recipe);
  return dir;
}

test("check catches a shape mismatch in affine arithmetic, as it does inside a merge call", () => {
  const dir = workspace('base = model("models/base")\nmath = model("models/task_a")\ncode = model("wide")\nm = math - base + code - base + base\nsave(m, "out")\n');
  const r = run(dir, "check", "r.merge");
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /r\.merge:4:5: error shape-mismatch: these models have different shapes: tensor '[^']+' is \[128, 64\] in model\("models\/task_a"\) but \[96, 64\] in model\("wide"\)/);
  assert.equal(r.stdout.match(/error /g)?.length, 1, "one error, no cascade");
});

test("a clean check says what it covered", () => {
  const dir = workspace('base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\nsave(ties(a, b, base: base), "out")\n');
  const r = run(dir, "check", "r.merge");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^r\.merge: ok, 4 statements, 3 models checked$/m);
});

test("mergekit's dtype spellings are accepted", () => {
  const dir = workspace('base = model("models/base")\na = model("models/task_a")\nsave(ties(a, base: base), "out", dtype: "bfloat16")\n');
  const r = run(dir, "run", "--dry-run", "r.merge");
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /out\s+bf16\s+39/);
});

test("a missing comma in a call is one error that suggests the comma", () => {
  const dir = workspace('base = model("models/base")\nm = linear(base)\nsave(m "out/x")\n');
  const r = run(dir, "check", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.stdout, /r\.merge:3:8: error unclosed-bracket: .*found the string "out\/x" \(is a ',' missing before it\?\)/);
  assert.doesNotMatch(r.stdout, /missing-parameter/);
});

test("a sum of scaled models that is not affine suggests linear(..., normalize: true)", () => {
  const dir = workspace('a = model("models/task_a")\nb = model("models/task_b")\nc = model("models/base")\nm = 0.3 * a + 0.3 * b + c\n');
  const r = run(dir, "check", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.stdout, /error not-affine: .*sum to 1\.6, not 1.*linear\(\.\.\., weights: \[\.\.\.\], normalize: true\)/);
});

test("a mistyped option gets a did-you-mean, not node's parser message", () => {
  const dir = workspace("");
  const r = run(dir, "run", "--thread", "3", "r.merge");
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), "mergelang run: unknown option '--thread': did you mean '--threads'?");
  const missing = run(dir, "run", "r.merge", "--threads");
  assert.equal(missing.stderr.trim(), "mergelang run: --threads needs a value (--threads VALUE)");
});

test("import prints no recipe when the config has errors", () => {
  const dir = workspace("");
  // A config that translates, with an error: ties without a weight.
  writeFileSync(join(dir, "bad.yml"), "merge_method: ties\nbase_model: models/base\nmodels:\n  - model: models/task_a\n");
  const r = run(dir, "import", "bad.yml");
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "", "nothing on stdout, so `> x.merge` writes no broken recipe");
  assert.match(r.stderr, /bad\.yml:4:5: error mergekit-invalid: /);
  assert.match(r.stderr, /no recipe was printed/);
});

test("run names folders as the user does, and a dry run lists only the whole-model passes", () => {
  const dir = workspace(
    'base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\nsave(ties(a, b, base: base), "out/t")\nsave(ties(a, b, base: base, scope: "global"), "out/g")\n',
  );
  const plan = run(dir, "run", "--dry-run", "r.merge");
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /^ {2}ties at r\.merge:5:6: 2 passes$/m);
  assert.doesNotMatch(plan.stdout, /r\.merge:4:6/, "a per-tensor ties takes no pass before writing");
  const r = run(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.match(/^wrote \S+/gm), ["wrote out/t:", "wrote out/g:"]);
  assert.ok(!(r.stdout + r.stderr).includes(dir), "no absolute paths: " + r.stderr);
  assert.match(r.stderr, /^out\/g: ties statistics, pass 1 of (up to )?2, \d+%/m);
});
