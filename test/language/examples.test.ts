// The spec's examples and every reference-fixture recipe parse and check clean.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { fixturesDir } from "../support/paths.js";

interface Case {
  case: string;
  recipe: string;
}

const problems = (text: string, file: string, models?: null) =>
  checkRecipe(text, file, models === null ? { models: null } : {}).diagnostics.filter((d) => d.severity !== "hint");

for (const f of readdirSync(fixturesDir("spec-examples")).filter((x) => x.endsWith(".merge"))) {
  test(`spec example ${f} checks clean`, () => {
    const file = fixturesDir("spec-examples", f);
    const r = checkRecipe(readFileSync(file, "utf8"), file, { models: null });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity !== "hint"), []);
    assert.ok(r.graph, "a clean recipe lowers to a graph");
  });
}

const manifest = JSON.parse(readFileSync(fixturesDir("reference", "manifest.json"), "utf8")) as { cases: Case[] };
for (const c of manifest.cases) {
  test(`reference recipe ${c.case} checks clean against the model headers`, () => {
    const file = fixturesDir("reference", `${c.case}.merge`);
    assert.deepEqual(problems(c.recipe, file), []);
  });
}
