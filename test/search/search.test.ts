// Searches end to end on the tiny reference models: strategies through the API (seeded determinism,
// bounds), resume from the journal, the metric command (timeouts, non-number output), the CLI after a kill.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkRecipe } from "../../src/language/service.js";
import { runSearch, type CandidateModel } from "../../src/search/search-runner.js";
import { MetricError, parseScore } from "../../src/search/metric-command.js";
import { Session } from "../../src/session/index.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { openModel } from "../../src/io/index.js";
import { fixturesDir } from "../support/paths.js";
import { tempDir } from "../support/temp-dir.js";

const cli = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function workspace(recipe: string): { dir: string; file: string } {
  const dir = tempDir("mergelang-search-");
  cpSync(fixturesDir("reference", "models", "tiny_f32"), join(dir, "models"), { recursive: true });
  const file = join(dir, "r.merge");
  writeFileSync(file, recipe);
  return { dir, file };
}

const HEAD = 'base = model("models/base")\na = model("models/task_a")\nb = model("models/task_b")\n';

/** A score with one optimum inside the box: how far the first tensor's mean is from a target. */
async function closeness(model: CandidateModel): Promise<number> {
  const name = model.tensorNames()[0]!;
  const t = await model.tensor(name);
  let s = 0;
  for (const x of t) s += x;
  return -Math.abs(s / t.length - 0.004);
}

test("random and cmaes: same seed, same candidates; every value inside its space", async () => {
  for (const strategy of ["random", "cmaes"]) {
    const runs = [];
    for (const out of ["s1", "s2"]) {
      const { file } = workspace(HEAD + `m = ties(a, b, base: base, lambda: search(0.2..1.8), weights: search(0.5..1, per_model: true))\noptimize(m, strategy: "${strategy}", budget: 12, seed: 3, out: "${out}")\n`);
      const r = await runSearch(checkRecipe(readFileSync(file, "utf8"), file), { metric: closeness });
      runs.push(r);
      assert.deepEqual(r.dimensions, ["lambda", "weights[a]", "weights[b]"]);
      assert.equal(r.candidates.length, 12);
      for (const c of r.candidates) {
        assert.ok(c.values[0]! >= 0.2 && c.values[0]! <= 1.8, `lambda ${c.values[0]}`);
        assert.ok(c.values[1]! >= 0.5 && c.values[1]! <= 1 && c.values[2]! >= 0.5 && c.values[2]! <= 1, `weights ${c.values}`);
      }
      assert.ok(existsSync(r.files.bestRecipe) && existsSync(r.files.plot));
    }
    assert.deepEqual(runs[0]!.candidates.map((c) => c.values), runs[1]!.candidates.map((c) => c.values), strategy);
  }
});

test("grid: every combination, the best recipe has the values filled in and checks, a heat map for two spaces", async () => {
  const { file } = workspace(HEAD + `m = ties(a, b, base: base, density: search([0.2, 0.5]), lambda: search(0.5..1.5, steps: 3))\nsave(m, "out/m")\noptimize(m, budget: 10)\n`);
  const r = await runSearch(checkRecipe(readFileSync(file, "utf8"), file), { metric: closeness });
  assert.deepEqual(r.candidates.map((c) => c.values), [[0.2, 0.5], [0.2, 1], [0.2, 1.5], [0.5, 0.5], [0.5, 1], [0.5, 1.5]]);
  const best = readFileSync(r.files.bestRecipe, "utf8");
  assert.match(best, new RegExp(`density: ${r.best.values[0]}, lambda: ${r.best.values[1]}\\)`));
  assert.match(best, /^# optimize\(m, budget: 10\)$/m);
  const again = checkRecipe(best, r.files.bestRecipe);
  assert.deepEqual(again.diagnostics.filter((d) => d.severity === "error"), []);
  assert.ok(r.files.heatmap && readFileSync(r.files.heatmap, "utf8").includes("<svg"));
});

test("an interrupted search resumes from its journal: same candidates, the finished ones not evaluated again", async () => {
  const recipe = HEAD + `m = task_arithmetic(a, b, base: base, lambda: search(0..2))\noptimize(m, strategy: "cmaes", budget: 10, seed: 1)\n`;
  const whole = workspace(recipe);
  const reference = await runSearch(checkRecipe(recipe, whole.file), { metric: closeness });

  const { file } = workspace(recipe);
  const stop = new AbortController();
  let calls = 0;
  await assert.rejects(
    runSearch(checkRecipe(recipe, file), {
      signal: stop.signal,
      metric: async (m) => {
        const score = await closeness(m);
        if (++calls === 4) stop.abort();
        return score;
      },
    }),
    /stopped/,
  );
  let evaluated = 0;
  const resumed = await runSearch(checkRecipe(recipe, file), { metric: async (m) => (evaluated++, closeness(m)) });
  assert.deepEqual(resumed.candidates.map((c) => c.values), reference.candidates.map((c) => c.values));
  assert.equal(resumed.candidates.filter((c) => c.resumed).length, 4);
  assert.equal(evaluated, 6);
});

test("a journal of another search is refused, naming the file", async () => {
  const { file } = workspace(HEAD + `m = task_arithmetic(a, b, base: base, lambda: search(0..2))\noptimize(m, strategy: "random", budget: 2)\n`);
  await runSearch(checkRecipe(readFileSync(file, "utf8"), file), { metric: closeness });
  const changed = readFileSync(file, "utf8").replace('"random"', '"cmaes"');
  await assert.rejects(runSearch(checkRecipe(changed, file), { metric: closeness }), /journal\.jsonl: this journal belongs to another search/);
});

test("metric command: a non-number output is an error naming the candidate", async () => {
  const { file } = workspace(HEAD + `m = task_arithmetic(a, b, base: base, lambda: search([0.5, 1]))\noptimize(m, metric: "echo accuracy: high # {model}", budget: 2)\n`);
  await assert.rejects(runSearch(checkRecipe(readFileSync(file, "utf8"), file)), (e: Error) => {
    assert.ok(e instanceof MetricError);
    assert.match(e.message, /^candidate 0 \(lambda 0\.5\): the metric command must print a number on its last line, but it printed "accuracy: high"/);
    return true;
  });
  assert.throws(() => parseScore("", "candidate 2"), /candidate 2: .* printed nothing/);
  assert.equal(parseScore("loading\n0.75\n\n", "c"), 0.75);
});

test("metric command: {model} is the candidate's folder; a command past its timeout is stopped and named", async () => {
  const { dir, file } = workspace(HEAD + `m = task_arithmetic(a, b, base: base, lambda: search([0.5, 1]))\noptimize(m, metric: "test -f {model}/model.safetensors && echo 1", budget: 2, parallel: 2)\n`);
  const r = await runSearch(checkRecipe(readFileSync(file, "utf8"), file));
  assert.deepEqual(r.candidates.map((c) => c.score), [1, 1]);
  assert.ok(!existsSync(join(dir, "r.search", "candidates")), "candidate folders are removed");
  writeFileSync(file, HEAD + `m = task_arithmetic(a, b, base: base, lambda: search([0.5, 1]))\noptimize(m, metric: "sleep 20; echo 1", timeout: 0.5, budget: 2, out: "t")\n`);
  await assert.rejects(runSearch(checkRecipe(readFileSync(file, "utf8"), file)), /candidate [01] \(lambda .*\): the metric command ran past its timeout of 0\.5 s/);
});

test("mergelang search resumes after the process is killed", async () => {
  const { dir } = workspace(HEAD + `m = task_arithmetic(a, b, base: base, lambda: search(0..2, steps: 5))\noptimize(m, metric: "sh slow.sh", budget: 5)\n`);
  // While the file "hang" exists, evaluations after the second hang: the process is killed in one.
  writeFileSync(join(dir, "hang"), "");
  writeFileSync(join(dir, "slow.sh"), 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; if [ -f hang ] && [ "$n" -gt 2 ]; then sleep 30; fi; echo 0.5\n');
  const child = spawn(process.execPath, [cli, "search", "r.merge"], { cwd: dir, stdio: "ignore" });
  const journal = join(dir, "r.search", "journal.jsonl");
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (existsSync(journal) && readFileSync(journal, "utf8").trim().split("\n").length >= 3) break;
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  rmSync(join(dir, "hang"));
  const r = spawnSync(process.execPath, [cli, "search", "r.merge"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming: 2 candidates already in/);
  assert.match(r.stdout, /^\s+1\s+0\.5\s+0\.5 journal/m, r.stdout);
  assert.match(r.stdout, /best: 0\.5 with lambda 0 \(candidate 0 of 5\)/);
  const lines = readFileSync(journal, "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as { index: number });
  assert.deepEqual(lines.map((l) => l.index).sort(), [0, 1, 2, 3, 4]);
});

test("a notebook session runs optimize(...) with a metric function and shows a live table", async () => {
  const { dir } = workspace("");
  const session = new Session({ cwd: dir });
  const outputs: { bundle: Record<string, unknown>; update: boolean }[] = [];
  const sink = { stream: () => {}, display: (bundle: Record<string, unknown>, target?: { update: boolean }) => outputs.push({ bundle, update: target?.update ?? false }), result: (bundle: Record<string, unknown>) => outputs.push({ bundle, update: false }) };
  assert.equal((await session.execute(HEAD + "m = ties(a, b, base: base, lambda: search([0.5, 1, 1.5]))", sink)).status, "ok");
  const outcome = await session.execute("optimize(m, budget: 3)", sink, { metric: closeness });
  assert.equal(outcome.status, "ok", JSON.stringify(outcome));
  assert.equal(outputs.filter((o) => o.update).length, 2, "the table is updated in place");
  assert.match(String(outputs[outputs.length - 1]!.bundle["text/plain"]), /^best .* of 3\); wrote notebook\.best\.merge/);
  assert.equal(session.lastSearch?.candidates.length, 3);
});

test("a journal line cut short by a kill is evaluated again; mergelang run refuses a recipe with optimize(...)", async () => {
  const recipe = HEAD + `m = task_arithmetic(a, b, base: base, lambda: search([0.5, 1, 1.5]))\noptimize(m, metric: "echo 0.5 # {model}", budget: 3)\n`;
  const { dir, file } = workspace(recipe);
  await runSearch(checkRecipe(recipe, file));
  const journal = join(dir, "r.search", "journal.jsonl");
  const lines = readFileSync(journal, "utf8").trim().split("\n");
  writeFileSync(journal, [...lines.slice(0, 3), lines[3]!.slice(0, 20)].join("\n"));
  const again = await runSearch(checkRecipe(recipe, file));
  assert.deepEqual(again.candidates.map((c) => c.resumed), [true, true, false]);
  const r = spawnSync(process.execPath, [cli, "run", "r.merge"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /r\.merge:5: this recipe searches its coefficients with optimize\(\.\.\.\): run mergelang search r\.merge, then mergelang run r\.best\.merge/);
});

test("in memory, a merge at another lambda (from the cached merge at 1) equals the engine's", async () => {
  const recipe = HEAD + `m = ties(a, b, base: base, density: 0.3, lambda: search([0.5, 1.5]))\noptimize(m, budget: 2)\n`;
  const { dir, file } = workspace(recipe);
  const seen: Float32Array[][] = [];
  let names: string[] = [];
  await runSearch(checkRecipe(recipe, file), {
    metric: async (m) => {
      names = m.tensorNames();
      const ts: Float32Array[] = [];
      for (const n of names) ts.push(Float32Array.from(await m.tensor(n)));
      seen.push(ts);
      return 0;
    },
  });
  for (const [i, lambda] of [0.5, 1.5].entries()) {
    const text = HEAD + `save(ties(a, b, base: base, density: 0.3, lambda: ${lambda}), "out/l${i}", dtype: "f32")\n`;
    const checked = checkRecipe(text, file);
    await runGraph(checked.graph!);
    const reader = openModel(join(dir, "out", `l${i}`));
    names.forEach((n, k) => {
      const expected = reader.readF32Sync(n);
      const got = seen[i]![k]!;
      for (let j = 0; j < got.length; j++) assert.ok(Math.abs(got[j]! - expected[j]!) <= 1e-6 * (1 + Math.abs(expected[j]!)), `${n}[${j}] at lambda ${lambda}: ${got[j]} vs ${expected[j]}`);
    });
    reader.close();
  }
});

test("goal: \"min\" keeps the lowest score, and CMA-ES moves towards it", async () => {
  const recipe = HEAD + `m = task_arithmetic(a, b, base: base, lambda: search(0..2))\noptimize(m, goal: "min", strategy: "cmaes", budget: 24, seed: 2)\n`;
  const { file } = workspace(recipe);
  // The score is the distance of lambda from 1.7: only the parameter matters here.
  const r = await runSearch(checkRecipe(recipe, file), { metric: (m) => Math.abs(m.values["lambda"]! - 1.7) });
  assert.equal(r.goal, "min");
  assert.equal(r.best.score, Math.min(...r.candidates.map((c) => c.score)));
  assert.ok(Math.abs(r.best.values[0]! - 1.7) < 0.05, `best lambda ${r.best.values[0]}`);
});
