/**
 * The reference merges run from their recipe text, as a user runs them: every manifest case is
 * checked, lowered and executed by the recipe runner, and compared with the authors' code's output
 * within the tolerance of the fixtures' README.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { runGraph } from "../../src/runner/recipe-runner.js";
import { fixturesDir } from "../support/paths.js";
import { countMismatches, readAll } from "../engine/compare.js";
import { tempDir } from "../support/temp-dir.js";

interface Case {
  case: string;
  recipe: string;
  out_dtype: string;
  expected: string;
}

const reference = fixturesDir("reference");
const manifest = JSON.parse(readFileSync(join(reference, "manifest.json"), "utf8")) as { cases: Case[] };

for (const c of manifest.cases) {
  test(`recipe of ${c.case} reproduces the authors' merge`, async () => {
    const out = tempDir("mergelang-recipe-");
    try {
      // Models stay relative to the fixtures folder; only the output moves to a temporary folder.
      const text = c.recipe.replace(`"out/${c.case}"`, JSON.stringify(join(out, c.case)));
      assert.notEqual(text, c.recipe, "the recipe saves to out/<case>");
      const checked = checkRecipe(text, join(reference, `${c.case}.merge`));
      assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error"), []);
      const outcome = await runGraph(checked.graph!);
      assert.equal(outcome.saved.length, 1);
      assert.equal(outcome.saved[0]!.effect.dtype, c.out_dtype);
      const mismatch = countMismatches(readAll(join(out, c.case)), readAll(join(reference, c.expected)), c.out_dtype === "bf16");
      assert.ok(mismatch.bad <= 1e-4 * mismatch.total, `${mismatch.bad} of ${mismatch.total} elements outside the tolerance; worst ${mismatch.worst}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
