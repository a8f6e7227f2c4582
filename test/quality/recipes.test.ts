import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRecipe } from "../../src/language/service.js";
import { DEFAULT_METHODS, describePoint, gridPoints, mergeRecipe, pointSlug, searchRecipe } from "../../bench/quality/recipes.js";

const models = {
  base: "/work/q/models/base",
  tasks: ["upright", "rotated", "inverted", "mirrored"].map((name) => ({ name, path: `/work/q/models/${name}` })),
};

test("a grid is the product of its coefficient lists, first key slowest", () => {
  assert.deepEqual(gridPoints({ grid: { density: [0.1, 0.2], lambda: [0.5, 1, 1.5] } }), [
    { density: 0.1, lambda: 0.5 }, { density: 0.1, lambda: 1 }, { density: 0.1, lambda: 1.5 },
    { density: 0.2, lambda: 0.5 }, { density: 0.2, lambda: 1 }, { density: 0.2, lambda: 1.5 },
  ]);
  assert.deepEqual(gridPoints({ grid: {} }), [{}]);
  assert.throws(() => gridPoints({ grid: { lambda: [] } }), /empty grid for "lambda"/);
  assert.equal(describePoint({ density: 0.2, lambda: 1 }), "density 0.2, lambda 1");
  assert.equal(describePoint({}), "—");
  assert.equal(pointSlug({ ratio: 0.05, lambda: 0.7 }), "r0.05_l0.7");
});

test("the compared methods: averaging, task arithmetic, TIES and PCB in both scopes and the SVD-based methods on a grid, TIES and PCB per tensor with CMA-ES (two seeds)", () => {
  assert.deepEqual(
    DEFAULT_METHODS.map((m) => `${m.fn}/${m.fixed.scope ?? "-"}${m.evolve ? `/cmaes${m.evolve.seed}` : ""}`),
    ["linear/-", "task_arithmetic/-", "ties/tensor", "ties/global", "pcb/tensor", "pcb/global", "tsv/-", "iso_c/-", "iso_cts/-", "ties/tensor/cmaes1", "pcb/tensor/cmaes1", "ties/tensor/cmaes2", "pcb/tensor/cmaes2"],
  );
});

test("every method's search recipe checks clean: search(...) spaces and one optimize(...)", () => {
  for (const spec of DEFAULT_METHODS.filter((m) => m.evolve || Object.keys(m.grid).length > 0)) {
    const text = searchRecipe(spec, models, "/work/q/search/x", "/work/q/recipes");
    const checked = checkRecipe(text, "/work/q/recipes/x.merge", { models: null });
    assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), [], `${spec.id}:\n${text}`);
    assert.equal(checked.analysis.optimize?.request.strategy, spec.evolve ? "cmaes" : "grid", spec.id);
  }
  const pcb = DEFAULT_METHODS.find((m) => m.id === "pcb_tensor_cmaes_s1")!;
  assert.match(searchRecipe(pcb, models, "/work/q/search/pcb", "/work/q/recipes"), /weights: search\(0\.\.2, per_model: true\).*\noptimize\(merged, strategy: "cmaes", seed: 1, budget: 48, out: "\.\.\/search\/pcb"\)\n$/s);
});

test("the recipe of every method and grid point checks clean in the recipe language", () => {
  for (const spec of DEFAULT_METHODS.filter((m) => !m.evolve)) {
    for (const point of gridPoints(spec)) {
      const text = mergeRecipe(spec, point, models, "/work/q/merges/out", "/work/q/recipes");
      const checked = checkRecipe(text, "/work/q/recipes/x.merge", { models: null });
      const errors = checked.diagnostics.filter((d) => d.severity === "error");
      assert.deepEqual(errors.map((d) => d.message), [], `${spec.id} ${describePoint(point)}:\n${text}`);
      assert.ok(checked.graph, "lowered to a graph");
    }
  }
});

test("a TIES recipe names its models relative to the recipe and passes every argument", () => {
  const ties = DEFAULT_METHODS.find((m) => m.id === "ties_global")!;
  const text = mergeRecipe(ties, { density: 0.2, lambda: 1 }, models, "/work/q/merges/ties", "/work/q/recipes");
  assert.equal(
    text,
    [
      "# TIES (global): density 0.2, lambda 1",
      'base = model("../models/base")',
      'upright = model("../models/upright")',
      'rotated = model("../models/rotated")',
      'inverted = model("../models/inverted")',
      'mirrored = model("../models/mirrored")',
      'merged = ties(upright, rotated, inverted, mirrored, base: base, density: 0.2, lambda: 1, scope: "global")',
      'save(merged, "../merges/ties", dtype: "f32")',
      "",
    ].join("\n"),
  );
  const linear = mergeRecipe(DEFAULT_METHODS[0]!, {}, models, "/work/q/merges/linear", "/work/q/recipes");
  assert.ok(!linear.includes("base"), "weight averaging takes no base model");
});

test("task names that cannot be recipe variables are refused", () => {
  const bad = { base: "/m/base", tasks: [{ name: "rotated-90", path: "/m/r" }] };
  assert.throws(() => mergeRecipe(DEFAULT_METHODS[0]!, {}, bad, "/o", "/r"), /cannot be a recipe variable/);
  const reserved = { base: "/m/base", tasks: [{ name: "base", path: "/m/b" }] };
  assert.throws(() => mergeRecipe(DEFAULT_METHODS[0]!, {}, reserved, "/o", "/r"), /cannot be a recipe variable/);
});
