// The language side of search: ranges, search(...) spaces against their parameter, optimize(...).
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { formatRecipe } from "../../src/language/formatter.js";

const HEAD = 'base = model("b")\na = model("a")\nc = model("c")\n';
const check = (body: string) => checkRecipe(HEAD + body, "/tmp/search.merge", { models: null });
const errors = (body: string) => check(body).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.range.start.line}:${d.range.start.column} ${d.code}: ${d.message}`);

test("intervals, lists, per-model and where-clause spaces check, and are recorded for the search", () => {
  const r = check('m = ties(a, c, base: base, lambda: search(0.3..1.5), density: search([0.1, 0.2]), weights: search(0..1, per_model: true)) where layers 0..1 { lambda: search(-1..2) }\noptimize(m, metric: "eval {model}", strategy: "cmaes", budget: 10)\n');
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(r.analysis.searchSites.map((s) => [s.param, s.perModel, s.where !== null]), [["lambda", false, false], ["density", false, false], ["weights", true, false], ["lambda", false, true]]);
  assert.equal(r.analysis.optimize?.request.strategy, "cmaes");
  assert.ok(r.graph, "a recipe with spaces still lowers (for plans and checks)");
});

test("spaces without optimize(...) is an error that says what to add", () => {
  assert.deepEqual(errors("m = ties(a, base: base, lambda: search(0.3..1.5))\nsave(m, \"o\")\n"), [
    '4:33 search-without-optimize: this recipe has search spaces but nothing searches them: add a statement such as optimize(merged, metric: "python eval.py {model}", strategy: "cmaes", budget: 30), then run mergelang search',
  ]);
  assert.match(errors("m = ties(a, base: base)\noptimize(m)\n")[0]!, /^5:1 optimize-without-search: optimize\(\.\.\.\) has nothing to search/);
});

test("a space must fit its parameter: range, type, per_model", () => {
  assert.match(errors("m = ties(a, base: base, density: search(0..2))\noptimize(m)\n")[0]!, /4:34 out-of-range: the search space of 'density' reaches 2, but 'density' must be ≥ 0 and ≤ 1/);
  assert.match(errors('m = ties(a, base: base, scope: search([1, 2]))\noptimize(m)\n')[0]!, /wrong-type: 'scope' of ties\(\) cannot be searched/);
  assert.match(errors("m = ties(a, base: base, lambda: search(0..2, per_model: true))\noptimize(m)\n")[0]!, /'lambda' of ties\(\) has one value for all models, so per_model: true does not apply; per model ties\(\) takes density, weights/);
  assert.match(errors("m = ties(a, base: base, lambda: search(2..1))\noptimize(m)\n")[0]!, /bad-search-space: the interval 2\.\.1 is empty/);
  assert.match(errors("m = ties(a, base: base, lambda: 0..1)\n")[0]!, /wrong-type: a range lo\.\.hi is a search space/);
  assert.match(errors('m = ties(a, base: base, lambda: search(0..1))\noptimize(m)\noptimize(m)\n')[0]!, /optimize-twice/);
});

test("the formatter keeps ranges and spaces", () => {
  const r = formatRecipe(HEAD + "m = ties(a, base: base, lambda: search( 0.3 .. 1.5 ,steps:4))\noptimize(m)\n");
  assert.ok(r.ok);
  assert.match(r.text, /lambda: search\(0\.3\.\.1\.5, steps: 4\)/);
});
