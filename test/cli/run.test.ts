// `mergelang run` as a user meets it: outputs on success; on damaged input one clear line, exit 1,
// no stack trace, no output folder, inputs untouched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd });

function workspace(): string {
  const dir = tempDir("mergelang-run-");
  cpSync(fixturesDir("reference", "models", "tiny_f32"), join(dir, "models"), { recursive: true });
  writeFileSync(
    join(dir, "r.merge"),
    'base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\nsave(ties(a, b, base: base), "out/m", dtype: "bf16")\n',
  );
  return dir;
}

test("run writes the model folder and reports it", () => {
  const dir = workspace();
  const r = run(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote out\/m: 39 tensors/);
  assert.deepEqual(readdirSync(join(dir, "out", "m")).sort(), ["README.md", "config.json", "model.safetensors", "tokenizer_config.json"]);
  assert.equal((JSON.parse(readFileSync(join(dir, "out", "m", "config.json"), "utf8")) as { torch_dtype: string }).torch_dtype, "bfloat16");
});

test("--dry-run prints the plan and writes nothing", () => {
  const dir = workspace();
  const r = run(dir, "run", "--dry-run", "r.merge");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /out\/m\s+bf16\s+39\s+197,184/);
  assert.ok(!existsSync(join(dir, "out")));
});

test("a truncated model fails with the file named, exit 1, no stack trace and no output", () => {
  const dir = workspace();
  const file = join(dir, "models", "task_b", "model.safetensors");
  truncateSync(file, statSync(file).size - 1000);
  const before = readFileSync(file);
  const r = run(dir, "run", "r.merge");
  assert.equal(r.status, 1);
  assert.match(r.stdout + r.stderr, /task_b\/model\.safetensors/);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*:\d+:\d+/, "no stack trace");
  assert.ok(!existsSync(join(dir, "out", "m")), "no output folder");
  assert.ok(!existsSync(join(dir, "out")) || readdirSync(join(dir, "out")).length === 0, "no temporary folder left");
  assert.deepEqual(readFileSync(file), before, "inputs untouched");
});

test("a recipe with errors runs nothing", () => {
  const dir = workspace();
  writeFileSync(join(dir, "bad.merge"), 'base = model("models/base")\nsave(ties(base, base: bsae), "out/x")\n');
  const r = run(dir, "run", "bad.merge");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.merge:2:23: error unknown-name/);
  assert.ok(!existsSync(join(dir, "out")));
});
