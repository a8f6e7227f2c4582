import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { fixturesDir, repoRoot } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

// Tests run from the compiled tree: the CLI sits next to them.
const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: repoRoot() });

test("check prints file:line:col: severity code: message and exits 1 on errors", () => {
  const file = fixturesDir("invalid", "44-three-errors.merge");
  const r = run("check", file);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /44-three-errors\.merge:3:20: error unknown-name: unknown name 'bse': did you mean 'base'\?/);
  assert.match(r.stdout, /:4:32: error out-of-range: /);
  assert.match(r.stdout, /:5:16: error unknown-parameter: /);
  assert.doesNotMatch(r.stdout + r.stderr, /at .*\.js:\d+/, "no stack trace");
});

test("check --json prints structured diagnostics", () => {
  const r = run("check", "--json", fixturesDir("invalid", "22-out-of-range.merge"));
  const out = JSON.parse(r.stdout) as { code: string; line: number; column: number; severity: string }[];
  assert.deepEqual(out.filter((d) => d.severity !== "hint").map((d) => [d.code, d.line, d.column]), [["out-of-range", 3, 34]]);
});

test("check exits 0 on a clean recipe", () => {
  const dir = tempDir("mergelang-check-");
  const models = fixturesDir("reference", "models", "tiny_f32");
  writeFileSync(join(dir, "r.merge"), `base = model("${models}/base")\na = model("${models}/task_a")\nsave(ties(a, base: base), "out")\n`);
  const r = run("check", join(dir, "r.merge"));
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("fmt --check reports unformatted files; fmt rewrites them", () => {
  const dir = tempDir("mergelang-fmt-");
  const file = join(dir, "r.merge");
  copyFileSync(fixturesDir("spec-examples", "02-arithmetic.merge"), file);
  assert.equal(run("fmt", "--check", file).status, 1);
  assert.equal(run("fmt", file).status, 0);
  assert.equal(run("fmt", "--check", file).status, 0);
  assert.match(readFileSync(file, "utf8"), /^avg = 0\.3 \* a \+ 0\.7 \* b$/m);
});

test("--help lists the commands and --version prints the version", () => {
  const help = run("--help");
  assert.equal(help.status, 0);
  for (const c of ["run", "check", "inspect", "fmt", "lsp", "kernel"]) assert.match(help.stdout, new RegExp(`^  ${c} `, "m"));
  assert.match(run("--version").stdout, /^\d+\.\d+\.\d+/);
  assert.equal(run("nonsense").status, 2);
});
