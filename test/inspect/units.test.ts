import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { classifyTensor, groupOf } from "../../src/inspect/groups.js";
import { InterferenceInputError } from "../../src/inspect/errors.js";
import { inspectInterference } from "../../src/inspect/inspect.js";
import { groupMetrics, normalQuantile, studentQuantile } from "../../src/inspect/metrics.js";
import { VariableLayout } from "../../src/inspect/layout.js";
import { Totals } from "../../src/inspect/totals.js";
import { drawDistinct, planSample, sampleBounds, sampleRuns, seededRandom } from "../../src/inspect/sample-plan.js";
import { orderStatistics } from "../../src/inspect/select.js";
import { normalCdf } from "../../src/inspect/threshold-error.js";
import { keepCount, sampledKeepCount, trimThreshold } from "../../src/inspect/trim.js";
import { writeF32Model } from "./support.js";
import { tempDir } from "../support/temp-dir.js";

test("order statistics agree with sorting: random, tied, zero and signed data", () => {
  const random = seededRandom(3);
  const cases: Float32Array[] = [
    Float32Array.from({ length: 5000 }, () => random() - 0.5),
    Float32Array.from({ length: 3000 }, () => Math.round((random() - 0.5) * 12) / 8),
    new Float32Array(1000),
    Float32Array.from({ length: 300 }, () => (random() < 0.5 ? -0 : 0.25)),
    Float32Array.from({ length: 7 }, (_, i) => i - 3),
  ];
  for (const values of cases) {
    const n = values.length;
    const ranks = [0, Math.floor(n / 3), Math.floor(n / 2), n - 2, n - 1].filter((r) => r >= 0);
    const mags = Float64Array.from(values, Math.abs).sort();
    const signed = Float64Array.from(values).sort();
    assert.deepEqual(orderStatistics(values, ranks, "magnitude"), ranks.map((r) => mags[r]));
    assert.deepEqual(orderStatistics(values, ranks, "signed").map((x) => x + 0), ranks.map((r) => signed[r]! + 0));
  }
  assert.throws(() => orderStatistics(new Float32Array(3), [3], "signed"), /rank 3/);
});

test("trimming keeps every element tied with the k-th largest magnitude", () => {
  assert.equal(keepCount(10, 0.3), 3);
  assert.equal(keepCount(7, 0), 0);
  assert.equal(keepCount(7, 1), 7);
  assert.equal(trimThreshold(Float32Array.of(0.5, -0.25, 0.25, 0.125), 2), 0.25);
  assert.equal(trimThreshold(Float32Array.of(0.5, -0.25), 0), Infinity);
  assert.equal(sampledKeepCount(100, 10_000, 2000), 20);
  assert.equal(sampledKeepCount(100, 10_000, 1), 1, "a tensor that keeps anything keeps something in its sample");
  assert.equal(sampledKeepCount(100, 10_000, 0), 0);
});

test("groups: Llama, GPT-2 and BERT names", () => {
  assert.deepEqual(classifyTensor("model.layers.12.self_attn.q_proj.weight"), { kind: "layer", layer: 12 });
  assert.equal(classifyTensor("model.embed_tokens.weight").kind, "embeddings");
  assert.equal(classifyTensor("transformer.wte.weight").kind, "embeddings");
  assert.equal(classifyTensor("bert.embeddings.word_embeddings.weight").kind, "embeddings");
  assert.equal(classifyTensor("lm_head.weight").kind, "head");
  assert.equal(classifyTensor("output.weight").kind, "head");
  assert.equal(classifyTensor("classifier.bias").kind, "head");
  assert.equal(classifyTensor("model.norm.weight").kind, "other");
  assert.equal(classifyTensor("encoder.layer.0.output.dense.weight").kind, "other", "a block's output is not the head");
  assert.deepEqual(groupOf("model.layers.3.mlp.up_proj.weight", "layer"), { key: "layers.3", label: "layer 3", kind: "layer", layer: 3 });
  assert.equal(groupOf("model.layers.3.mlp.up_proj.weight", "tensor").key, "model.layers.3.mlp.up_proj.weight");
});

test("sample plans are seeded, distinct, within budget, and read small tensors whole", () => {
  const tensors = [
    { name: "big", numel: 4_000_000 },
    { name: "mid", numel: 250_000 },
    { name: "norm", numel: 2048 },
  ];
  const a = planSample(tensors, { elements: 100_000, seed: 1 });
  assert.deepEqual(a, planSample(tensors, { elements: 100_000, seed: 1 }));
  assert.notDeepEqual(a[0]!.blocks, planSample(tensors, { elements: 100_000, seed: 2 })[0]!.blocks);
  const norm = a[2]!;
  assert.equal(norm.population, 1, "small tensors are read whole");
  let read = 0;
  for (const p of a) {
    assert.ok(p.blocks.every((b, i) => i === 0 || b > p.blocks[i - 1]!), "ascending, distinct");
    assert.ok(p.blocks.every((b) => b >= 0 && b < p.population));
    if (p.population > 1) assert.ok(p.blocks.length >= 2, "two blocks at least, for a variance");
    const bounds = sampleBounds(p);
    read += bounds[bounds.length - 1]!;
    const runs = sampleRuns(p);
    assert.equal(runs.reduce((s, r) => s + r.end - r.start, 0), bounds[bounds.length - 1]);
    assert.ok(runs.every((r) => r.end <= p.numel));
  }
  assert.ok(read <= 110_000 && read >= 50_000, `read ${read} for a budget of 100,000`);
  const draw = drawDistinct(10, 10, seededRandom(5));
  assert.deepEqual(draw, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("normal and Student quantiles, normal CDF", () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.025) + 1.959964) < 1e-6);
  assert.ok(Math.abs(studentQuantile(0.975, 10) - 2.228139) < 2e-3);
  assert.ok(Math.abs(studentQuantile(0.975, 100) - 1.983972) < 1e-4);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-1) - 0.158655) < 1e-6);
});

function tinyFamily(shapes: { base: number[]; task: number[] }): { base: string; models: string[] } {
  const dir = tempDir("inspect-errors-");
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const t = (shape: number[]) => ({ "model.layers.0.mlp.up_proj.weight": { shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) } });
  return { base: writeF32Model(join(dir, "base"), t(shapes.base)), models: [writeF32Model(join(dir, "task"), t(shapes.task))] };
}

test("bad input is a clear error naming the model and tensor", async () => {
  const mismatch = tinyFamily({ base: [2, 3], task: [3, 2] });
  await assert.rejects(inspectInterference(mismatch), (e: unknown) => {
    assert.ok(e instanceof InterferenceInputError);
    assert.equal(e.tensor, "model.layers.0.mlp.up_proj.weight");
    assert.match(e.message, /shape \[3, 2\] in .*task but \[2, 3\] in the base/);
    return true;
  });
  const ok = tinyFamily({ base: [2, 2], task: [2, 2] });
  await assert.rejects(inspectInterference({ ...ok, density: 1.5 }), /density must be between 0 and 1, got 1.5/);
  await assert.rejects(inspectInterference({ ...ok, labels: ["a", "b"] }), /2 labels for 1 models/);
  await assert.rejects(inspectInterference({ ...ok, models: [] }), /at least one fine-tuned model/);
  await assert.rejects(inspectInterference({ ...ok, models: [join(ok.base, "..", "missing")] }), /missing/);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(inspectInterference({ ...ok, signal: controller.signal }), { name: "AbortError" });
});

test("progress is reported per tensor", async () => {
  const ok = tinyFamily({ base: [2, 2], task: [2, 2] });
  const seen: string[] = [];
  await inspectInterference({ ...ok, onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.tensor}`) });
  assert.deepEqual(seen, ["1/1 model.layers.0.mlp.up_proj.weight"]);
});

test("a share never seen in the sample still gets an honest upper bound (Wilson, z²/n)", () => {
  const layout = new VariableLayout(2, false);
  const totals = new Totals(layout, true);
  // Two tensors of 10,000 elements, 1,000 read from each in 4 blocks; no conflict in any block.
  for (let t = 0; t < 2; t++) {
    const rows = new Float64Array(4 * layout.size);
    for (let b = 0; b < 4; b++) {
      rows[b * layout.size + layout.count] = 250;
      rows[b * layout.size + layout.l1(0)] = 25 + b;
      rows[b * layout.size + layout.l1(1)] = 30 - b;
    }
    totals.addTensor(rows, 4, 40, 10_000, 1000);
  }
  const m = groupMetrics(totals, 0.95);
  assert.equal(m.sign_conflict.value, 0);
  const upper = m.sign_conflict.ci![1];
  const z = studentQuantile(0.975, totals.degreesOfFreedom);
  assert.ok(Math.abs(upper - (z * z) / (2000 + z * z)) < 1e-12, `upper end ${upper}`);
});
