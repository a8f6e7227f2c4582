import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { mergeWithRecipe } from "../../bench/quality/merge.js";
import { loadWeights, saveWeights } from "../../bench/quality/model-folder.js";
import { Rng } from "../../bench/quality/random.js";
import { DEFAULT_METHODS, mergeRecipe } from "../../bench/quality/recipes.js";
import { initEncoder, type Weights } from "../../bench/quality/weights.js";
import { tempDir } from "../support/temp-dir.js";

/** A base encoder and two fine-tuned variants (base plus small seeded noise), saved with the project's writer. */
async function family(dir: string) {
  const base = initEncoder([6, 5, 4], new Rng(1));
  const tuned = (seed: number): Weights => {
    const rng = new Rng(seed);
    return new Map([...base].map(([n, t]) => [n, { shape: t.shape, data: t.data.map((v) => v + 0.1 * rng.normal()) }]));
  };
  const a = tuned(2);
  const b = tuned(3);
  const info = { config: { model_type: "test" }, metadata: { seed: "1" } };
  const paths = {
    base: await saveWeights(join(dir, "models", "base"), base, info),
    tasks: [
      { name: "a", path: await saveWeights(join(dir, "models", "a"), a, info) },
      { name: "b", path: await saveWeights(join(dir, "models", "b"), b, info) },
    ],
  };
  return { base, a, b, paths };
}

function assertClose(actual: Weights, expected: (name: string, i: number) => number): void {
  for (const [name, t] of actual) t.data.forEach((v, i) => assert.ok(Math.abs(v - expected(name, i)) < 1e-6, `${name}[${i}]: ${v} vs ${expected(name, i)}`));
}

test("saved folders read back exactly, with a config.json", async () => {
  const dir = tempDir("quality-folder-");
  try {
    const { base, paths } = await family(dir);
    const back = loadWeights(paths.base);
    assert.deepEqual([...back.keys()].sort(), [...base.keys()].sort());
    for (const [n, t] of base) {
      assert.deepEqual(back.get(n)!.shape, t.shape);
      assert.deepEqual(back.get(n)!.data, t.data);
    }
    assert.equal(JSON.parse(readFileSync(join(paths.base, "config.json"), "utf8")).torch_dtype, "float32");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("weight averaging through a recipe equals the direct element-wise mean", async () => {
  const dir = tempDir("quality-merge-");
  try {
    const { a, b, paths } = await family(dir);
    const out = join(dir, "merges", "linear");
    const recipe = mergeRecipe(DEFAULT_METHODS[0]!, {}, paths, out, join(dir, "recipes"));
    const folder = await mergeWithRecipe(recipe, join(dir, "recipes"), "linear.merge");
    assert.equal(folder, out);
    assert.ok(existsSync(join(dir, "recipes", "linear.merge")), "the recipe is kept next to the merge");
    assertClose(loadWeights(folder), (n, i) => (a.get(n)!.data[i]! + b.get(n)!.data[i]!) / 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("task arithmetic through a recipe equals base + λ·Σ(mᵢ − base)", async () => {
  const dir = tempDir("quality-merge-");
  try {
    const { base, a, b, paths } = await family(dir);
    const ta = DEFAULT_METHODS.find((m) => m.id === "task_arithmetic")!;
    const folder = await mergeWithRecipe(mergeRecipe(ta, { lambda: 0.3 }, paths, join(dir, "out"), dir), dir, "ta.merge");
    assertClose(loadWeights(folder), (n, i) => {
      const o = base.get(n)!.data[i]!;
      return o + 0.3 * (a.get(n)!.data[i]! - o + (b.get(n)!.data[i]! - o));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a recipe that does not check is reported with its file and line", async () => {
  const dir = tempDir("quality-merge-");
  try {
    await assert.rejects(mergeWithRecipe('a = model("nowhere")\nsave(ties(a), "out")\n', dir, "bad.merge"), /bad\.merge:\d+:\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
