import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFIG, type QualityConfig } from "../../bench/quality/config.js";
import { DEFAULT_METHODS } from "../../bench/quality/recipes.js";
import { runExperiment } from "../../bench/quality/run.js";
import { syntheticDigits } from "./synthetic.js";
import { tempDir } from "../support/temp-dir.js";

/** The whole protocol on 200 random 8×8 "digits" and a tiny encoder: seconds, not minutes. */
const tiny: QualityConfig = {
  ...DEFAULT_CONFIG,
  seed: 3,
  encoderSizes: [16, 12, 8],
  pretrain: { ...DEFAULT_CONFIG.pretrain, epochs: 2 },
  finetune: { ...DEFAULT_CONFIG.finetune, epochs: 2 },
  methods: [
    DEFAULT_METHODS[0]!,
    { ...DEFAULT_METHODS.find((m) => m.id === "ties_tensor")!, grid: { density: [0.2], lambda: [0.5, 1] } },
    { ...DEFAULT_METHODS.find((m) => m.id === "pcb_global")!, grid: { ratio: [0.1], lambda: [1] } },
    { ...DEFAULT_METHODS.find((m) => m.id === "pcb_tensor_cmaes_s1")!, evolve: { spaces: { weights: "search(0..2, per_model: true)" }, budget: 6, seed: 1 } },
  ],
};

test("the benchmark runs end to end and gives the same numbers twice", async () => {
  const dirs = [tempDir("quality-run-"), tempDir("quality-run-")];
  try {
    const digits = syntheticDigits(200, 8, 9);
    const runs = [];
    for (const dir of dirs) runs.push(await runExperiment(tiny, dir, { digits }));
    const [a, b] = runs;
    assert.deepEqual(a!.results.rows.map((r) => r.id), ["pretrained", "finetuned", "linear", "ties_tensor", "pcb_global", "pcb_tensor_cmaes_s1"]);
    assert.equal(a!.searches[3]!.grid.length, 6, "CMA-ES evaluates its budget");
    assert.match(readFileSync(join(dirs[0]!, "results.md"), "utf8"), /## Grid vs CMA-ES \(per-task λ\)[\s\S]*\| PCB \(per tensor\), CMA-ES seed 1 \| CMA-ES, seed 1: weights \| 6 \|/);
    assert.ok(a!.results.rows.every((r) => r.average >= 0 && r.average <= 1));
    assert.equal(a!.results.rows[1]!.normalised, 1);
    assert.deepEqual(a!.searches[1]!.grid.map((g) => g.point), [{ density: 0.2, lambda: 0.5 }, { density: 0.2, lambda: 1 }]);
    for (const name of ["results.md", "chart.svg", "results.json"]) {
      assert.equal(readFileSync(join(dirs[0]!, name), "utf8"), readFileSync(join(dirs[1]!, name), "utf8"), `${name} differs between runs`);
    }
    for (const folder of ["models/base", "models/upright", "models/heads", "merges/ties_tensor", "recipes/ties_tensor.merge", "interference/pcb_global.svg"]) {
      assert.ok(existsSync(join(dirs[0]!, folder)), folder);
    }
    assert.ok(!existsSync(join(dirs[0]!, "grid")), "grid candidates are removed");
    assert.deepEqual(b!.results, a!.results);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

test("a run refuses to clear a folder that is not an earlier run's output", async () => {
  const dir = tempDir("quality-out-");
  try {
    mkdirSync(join(dir, "models"));
    writeFileSync(join(dir, "models", "precious.txt"), "keep me");
    await assert.rejects(runExperiment(tiny, dir, { digits: syntheticDigits(50, 8, 1) }), /is not empty and holds no earlier quality results/);
    assert.equal(readFileSync(join(dir, "models", "precious.txt"), "utf8"), "keep me");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
