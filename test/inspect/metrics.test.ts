import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { inspectInterference } from "../../src/inspect/inspect.js";
import type { Estimate } from "../../src/inspect/report.js";
import { writeF32Model } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

const close = (actual: Estimate | number | null | undefined, expected: number, what: string, tol = 1e-9): void => {
  const v = typeof actual === "object" && actual !== null ? actual.value : actual;
  assert.ok(typeof v === "number", `${what}: expected ${expected}, got ${v}`);
  assert.ok(Math.abs(v - expected) <= tol, `${what}: expected ${expected}, got ${v}`);
};

/** Base all zeros, so the stored values are the deltas themselves (dyadic: exact in float32). */
function family(tensors: Record<string, { shape: number[]; a: number[]; b: number[] }>): { base: string; models: string[] } {
  const dir = tempDir("inspect-metrics-");
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const pick = (f: (t: { a: number[]; b: number[] }) => number[]) =>
    Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, { shape: t.shape, data: f(t) }]));
  return {
    base: writeF32Model(join(dir, "base"), pick((t) => t.a.map(() => 0))),
    models: [writeF32Model(join(dir, "a"), pick((t) => t.a)), writeF32Model(join(dir, "b"), pick((t) => t.b))],
  };
}

// δa = [0.5, −0.375, 0.375, 0.125], δb = [−0.75, 0.625, 0.25, −0.125], density 0.5 → k = 2.
// a keeps |δ| ≥ 0.375: elements 0, 1 and 2 (a tie at the threshold is kept); removes 0.125 of 1.375.
// b keeps |δ| ≥ 0.625: elements 0 and 1; removes 0.375 of 1.75.
// Element 0: 0.5 vs −0.75, sum −0.25, a loses 0.5. Element 1: −0.375 vs 0.625, sum 0.25, a loses 0.375.
const P = { shape: [2, 2], a: [0.5, -0.375, 0.375, 0.125], b: [-0.75, 0.625, 0.25, -0.125] };

test("TIES metrics of one tensor match the hand computation", async () => {
  const { base, models } = family({ "model.layers.0.mlp.up_proj.weight": P });
  const r = await inspectInterference({ models, base, density: 0.5 });
  assert.equal(r.groups.length, 1);
  const m = r.groups[0]!.metrics;
  assert.equal(m.elements, 4);
  close(m.redundancy_by_task[0], 0.125 / 1.375, "redundancy a");
  close(m.redundancy_by_task[1], 0.375 / 1.75, "redundancy b");
  close(m.redundancy, (0.125 + 0.375) / (1.375 + 1.75), "redundancy pooled");
  close(m.sign_conflict, 2 / 4, "sign conflict");
  close(m.lost_by_task[0], 0.875 / 1.25, "lost a");
  close(m.lost_by_task[1], 0, "lost b");
  close(m.lost_to_election, 0.875 / (1.25 + 1.375), "lost pooled");
  const dot = 0.5 * -0.75 + -0.375 * 0.625 + 0.375 * 0.25 + 0.125 * -0.125;
  const aa = 0.25 + 0.140625 + 0.140625 + 0.015625;
  const bb = 0.5625 + 0.390625 + 0.0625 + 0.015625;
  close(m.cosine, dot / Math.sqrt(aa * bb), "cosine");
  close(m.cosine_matrix[0]![1], dot / Math.sqrt(aa * bb), "cosine matrix");
  close(m.cosine_matrix[1]![1], 1, "cosine diagonal");
  close(m.norm[0], Math.sqrt(aa), "norm a");
  close(m.norm[1], Math.sqrt(bb), "norm b");
  assert.equal(m.redundancy.ci, undefined, "exact mode has no intervals");
  assert.deepEqual(r.total, m, "one group: the total is the group");
});

test("a zero election sum elects +1; density 0 trims everything; density 1 keeps everything", async () => {
  const { base, models } = family({ "model.layers.0.mlp.up_proj.weight": { shape: [1], a: [0.5], b: [-0.5] } });
  const keepAll = (await inspectInterference({ models, base, density: 1 })).total;
  close(keepAll.redundancy, 0, "nothing removed");
  close(keepAll.sign_conflict, 1, "conflict");
  close(keepAll.lost_by_task[0], 0, "a's + wins the tie");
  close(keepAll.lost_by_task[1], 1, "b loses");
  close(keepAll.lost_to_election, 0.5, "lost pooled");
  const trimAll = (await inspectInterference({ models, base, density: 0 })).total;
  close(trimAll.redundancy, 1, "everything removed");
  close(trimAll.sign_conflict, 0, "nothing kept, no conflict");
  assert.equal(trimAll.lost_to_election.value, null, "no kept mass: undefined share");
});

// Q (layer 0): δa = [0.25, 0.25], δb = [0.5, 0.5], k = 1; ties keep both, no conflict.
// embed: δa = [1, 0], δb = [0, 1]: nothing removed (0 is below the threshold but has no mass), no overlap.
// lm_head: δa = [−1, 0.5], δb = [1, 0.5]: each keeps its ±1, removes 0.5; the sum is 0, so + wins: a loses 1.
// norm: no change at all.
const FAMILY = {
  "lm_head.weight": { shape: [2], a: [-1, 0.5], b: [1, 0.5] },
  "model.layers.0.mlp.up_proj.weight": P,
  "model.norm.weight": { shape: [2], a: [0, 0], b: [0, 0] },
  "model.embed_tokens.weight": { shape: [2], a: [1, 0], b: [0, 1] },
  "model.layers.0.input_layernorm.weight": { shape: [2], a: [0.25, 0.25], b: [0.5, 0.5] },
};

test("groups are ordered and summed as ratios of sums, never means of ratios", async () => {
  const { base, models } = family(FAMILY);
  const r = await inspectInterference({ models, base, density: 0.5, labels: ["math", "code"] });
  assert.deepEqual(r.groups.map((g) => g.key), ["embeddings", "layers.0", "head", "other"]);
  assert.deepEqual(r.labels, ["math", "code"]);
  const layer = r.groups[1]!.metrics;
  assert.equal(layer.tensors, 2);
  assert.equal(layer.elements, 6);
  close(layer.redundancy, 0.5 / (3.125 + 1.5), "layer redundancy (the mean of ratios would be 0.08)");
  close(layer.sign_conflict, 2 / 6, "layer conflict (the mean of ratios would be 0.25)");
  close(layer.lost_to_election, 0.875 / (2.625 + 1.5), "layer lost");
  const dot = -0.53125 + 0.25;
  close(layer.cosine, dot / Math.sqrt((0.546875 + 0.125) * (1.03125 + 0.5)), "layer cosine from summed dots and norms");
  const other = r.groups[3]!.metrics;
  assert.equal(other.redundancy.value, null, "no mass: undefined");
  assert.equal(other.cosine.value, null, "zero vectors: undefined cosine");
  close(other.norm[0], 0, "zero norm");
  const t = r.total;
  assert.equal(t.elements, 12);
  assert.equal(t.tensors, 5);
  close(t.redundancy, (0.5 + 1) / (4.625 + 2 + 3), "total redundancy");
  close(t.sign_conflict, 3 / 12, "total conflict");
  close(t.lost_to_election, (0.875 + 1) / (4.625 + 2 + 3 - 1.5), "total lost");
  close(t.norm[0], Math.sqrt(0.671875 + 1 + 1.25), "total norm a");
  close(r.groups[2]!.metrics.lost_by_task[0], 1 / 1, "head: a loses all it kept");
});

test("by tensor gives one group per tensor in report order", async () => {
  const { base, models } = family(FAMILY);
  const r = await inspectInterference({ models, base, density: 0.5, by: "tensor" });
  assert.deepEqual(
    r.groups.map((g) => g.key),
    ["model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight", "model.norm.weight"],
  );
  close(r.groups[1]!.metrics.redundancy, 0.16, "P alone");
  close(r.total.sign_conflict, 3 / 12, "same total as by layer");
});

test("PCB view matches the hand computation (clip 0, ratio 0.5)", async () => {
  const { base, models } = family({ "model.layers.0.mlp.up_proj.weight": P });
  const r = await inspectInterference({ models, base, density: 0.5, pcb: { ratio: 0.5, clip: 0 } });
  const pcb = r.total.pcb!;
  // Σδ = [−0.25, 0.25, 0.625, 0]. a: |δ| spans [0.125, 0.5], norm = [1, 2/3, 2/3, 0];
  // b: |δ| spans [0.125, 0.75], norm = [1, 0.8, 0.2, 0]. β = exp(2·norm²)·tanh(δ·Σδ).
  const betaA = [Math.exp(2) * Math.tanh(-0.125), Math.exp(8 / 9) * Math.tanh(-0.09375), Math.exp(8 / 9) * Math.tanh(0.234375), 0];
  const betaB = [Math.exp(2) * Math.tanh(0.1875), Math.exp(1.28) * Math.tanh(0.15625), Math.exp(0.08) * Math.tanh(0.15625), 0];
  // The drop floor is the order statistic at index floor(4·0.5) = 2: a's is 0, b's is β_b[1]; only
  // values above it keep a scale (a: element 2, b: element 0), each scaling to 1.
  close(pcb.dropped_by_task[0], 3 / 4, "a dropped");
  close(pcb.dropped_by_task[1], 3 / 4, "b dropped");
  close(pcb.dropped, 6 / 8, "dropped pooled");
  close(pcb.scale_share[0], 0.5, "a's scale share");
  close(pcb.beta_mean[0], betaA.reduce((s, x) => s + x, 0) / 4, "mean β a", 1e-6);
  close(pcb.beta_mean[1], betaB.reduce((s, x) => s + x, 0) / 4, "mean β b", 1e-6);
  const all = [...betaA, ...betaB];
  const mean = all.reduce((s, x) => s + x, 0) / 8;
  close(pcb.beta_spread, Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / 8), "β spread", 1e-6);
});
