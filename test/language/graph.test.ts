// Lowering: what the engine receives for typical recipes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AffineNode, DeltaOpNode, Graph, MergeNode, SaveEffect } from "../../src/graph/graph.js";
import { resolveParams } from "../../src/graph/params.js";
import { checkRecipe } from "../../src/language/service.js";
import { fixturesDir } from "../support/paths.js";

const family = "../reference/models/tiny_f32";
const header = `base = model("${family}/base")\na = model("${family}/task_a")\nb = model("${family}/task_b")\n`;
const graphOf = (body: string): Graph => {
  const r = checkRecipe(header + body, fixturesDir("invalid", "g.merge"));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  return r.graph!;
};

test("a ties call becomes one merge node with defaults, where clauses and a save effect", () => {
  const g = graphOf('m = ties(a, b, base: base, density: 0.3) where "*.mlp.*" { density: 0.5 } where layers 0..3 { lambda: ramp(1, 0.5) }\nsave(m, "out/m")');
  const save = g.effects[0] as SaveEffect;
  assert.equal(save.kind, "save");
  const merge = g.nodes[save.node] as MergeNode;
  assert.equal(merge.method, "ties");
  assert.equal(merge.models.length, 2);
  assert.deepEqual(merge.params.values, { density: 0.3, lambda: 1, scope: "tensor", consensus: "sum", agreement: "delta", normalize: true });
  assert.equal(save.dtype, "f32", "dtype defaults to the base model's");
  assert.equal(save.shardSize, 5e9);
  assert.equal(g.nodes[save.configFrom]!.kind, "load");
  assert.match(save.path, /out\/m$/);
  const p0 = resolveParams(merge.params, "model.layers.0.mlp.up_proj.weight", 4);
  assert.equal(p0["density"], 0.5);
  assert.equal(p0["lambda"], 1);
  const p3 = resolveParams(merge.params, "model.layers.3.self_attn.q_proj.weight", 4);
  assert.equal(p3["density"], 0.3);
  assert.equal(p3["lambda"], 0.5);
  const pe = resolveParams(merge.params, "model.embed_tokens.weight", 4);
  assert.equal(pe["lambda"], 1);
});

test("affine arithmetic collapses into one affine node over the loads", () => {
  const g = graphOf('save(base + 0.5 * (a - base) + 0.25 * (b - base), "out/x")');
  const node = g.nodes[(g.effects[0] as SaveEffect).node] as AffineNode;
  assert.equal(node.kind, "affine");
  assert.equal(node.value, "model");
  const coefs = Object.fromEntries(node.terms.map((t) => [(g.nodes[t.node] as { path: string }).path.split("/").pop(), t.coef]));
  assert.deepEqual(coefs, { base: 0.25, task_a: 0.5, task_b: 0.25 });
});

test("the same model path loads once", () => {
  const g = graphOf(`c = model("${family}/task_a")\nsave(linear(a, c), "out/x")`);
  assert.equal(g.nodes.filter((n) => n.kind === "load").length, 1);
});

test("expression statements become show, print and interference effects in order", () => {
  const g = graphOf('1 + 2\nprint("x", 2)\ninterference(a, b, base: base, density: 0.3)\na');
  assert.deepEqual(g.effects.map((e) => e.kind), ["show", "print", "interference", "show"]);
  assert.equal((g.effects[0] as { text: string }).text, "3");
  assert.equal((g.effects[1] as { text: string }).text, "x 2");
});

test("per-model lists reach the graph as arrays", () => {
  const g = graphOf('save(ties(a, b, base: base, density: [0.2, 0.4], weights: [1, 0.5]), "out/x")');
  const merge = g.nodes[(g.effects[0] as SaveEffect).node] as MergeNode;
  assert.deepEqual(merge.params.values["density"], [0.2, 0.4]);
  assert.deepEqual(merge.params.values["weights"], [1, 0.5]);
});

test("TIES's steps lower to delta operations over their task vectors", () => {
  const g = graphOf('ta = trim(a - base, 0.3)\ntb = trim(b - base, density: 0.3)\nsave(base + disjoint_mean(ta, tb, sign: elect(ta, tb)), "out/x")');
  const ops = g.nodes.filter((n): n is DeltaOpNode => n.kind === "delta_op");
  assert.deepEqual(ops.map((n) => [n.op, n.inputs.length]), [["trim", 1], ["trim", 1], ["elect", 2], ["disjoint_mean", 3]]);
  const trim = ops[0]!;
  assert.equal(trim.params.values["density"], 0.3);
  assert.equal(trim.params.modelCount, 1);
});
