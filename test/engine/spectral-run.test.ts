// The whole-tensor methods (SVD-based, arcee_fusion, nuslerp per column) through the engine: whole
// tensors even when the run chunks by rows, worker threads, and the same merge as the method on
// arrays in memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { executeGraph } from "../../src/engine/executor.js";
import { applyMethod } from "../../src/engine/in-memory.js";
import type { ParamValue } from "../../src/graph/graph.js";
import type { ResolvedParams } from "../../src/graph/params.js";
import { GraphBuilder } from "./graph-builder.js";
import { readAll } from "./compare.js";
import { writeModel } from "./models.js";
import { normals } from "./random.js";
import { tempDir } from "../support/temp-dir.js";

const tmp = tempDir("mergelang-spectral-");
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

const SHAPES: [string, number[]][] = [
  ["model.embed_tokens.weight", [40, 16]],
  ["model.layers.0.self_attn.q_proj.weight", [24, 16]],
  ["model.layers.0.mlp.down_proj.weight", [16, 40]],
  ["model.layers.0.input_layernorm.weight", [16]],
];

async function family(): Promise<{ dirs: string[]; tensors: Map<string, Float32Array[]> }> {
  const dirs: string[] = [];
  const tensors = new Map<string, Float32Array[]>();
  for (let i = 0; i < 4; i++) {
    const list = SHAPES.map(([name, shape], k) => {
      const numel = shape.reduce((a, b) => a * b, 1);
      const base = normals(numel, 10 + k, 0.05);
      const delta = normals(numel, 100 * i + k, 0.01);
      const data = i === 0 ? base : base.map((x, j) => x + delta[j]!);
      tensors.set(name, [...(tensors.get(name) ?? []), data]);
      return { name, shape, data };
    });
    const dir = join(tmp, "models", i === 0 ? "base" : `task${i}`);
    await writeModel(dir, list, "f32", 1);
    dirs.push(dir);
  }
  return { dirs, tensors };
}

const ready = family();

async function merge(method: string, params: Record<string, ParamValue>, out: string, opts: { maxChunkElements?: number; threads?: number } = {}, taskCount = 3): Promise<Map<string, Float32Array>> {
  const { dirs } = await ready;
  const g = new GraphBuilder();
  const [base, ...tasks] = dirs.map((d) => g.load(d));
  g.save(g.merge(method, tasks.slice(0, taskCount), base!, params), join(tmp, out), base!);
  await executeGraph(g.build(), { threads: 1, ...opts });
  return readAll(join(tmp, out));
}

for (const [method, params] of [
  ["tsv", { alpha: 0.8 }],
  ["iso_c", { alpha: 1.2 }],
  ["iso_cts", { common_space_fraction: 0.6 }],
] as const) {
  test(`${method} in the engine: the in-memory merge of every tensor, whatever the chunk size and threads`, async () => {
    const { tensors } = await ready;
    const whole = await merge(method, params, `${method}-whole`);
    const chunked = await merge(method, params, `${method}-chunked`, { maxChunkElements: 64, threads: 2 });
    for (const [name, shape] of SHAPES) {
      const [base, ...models] = tensors.get(name)!;
      const expected = applyMethod(method, params, models, base!, name, shape.length === 2 ? shape[1]! : shape[0]!, shape);
      const got = whole.get(name)!;
      // The engine's products run on TensorFlow.js (float32), the in-memory ones in float64.
      let err = 0;
      got.forEach((x, k) => (err = Math.max(err, Math.abs(x - expected[k]!))));
      assert.ok(err < 1e-5, `${name}: ${err}`);
      assert.deepEqual(chunked.get(name), got, `${name}: chunks and threads change nothing`);
    }
  });
}

const WHOLE_TENSOR_CASES: [string, ResolvedParams, number][] = [
  ["nuslerp", { flatten: false, row_wise: true, weights: [1, 2] }, 2],
  ["arcee_fusion", {}, 1],
];
for (const [method, params, taskCount] of WHOLE_TENSOR_CASES) {
  test(`${method} ${JSON.stringify(params)} in the engine: whole tensors, whatever the chunk size and threads`, async () => {
    const { tensors } = await ready;
    const whole = await merge(method, params, `${method}-whole`, {}, taskCount);
    const chunked = await merge(method, params, `${method}-chunked`, { maxChunkElements: 64, threads: 2 }, taskCount);
    for (const [name, shape] of SHAPES) {
      const [base, ...models] = tensors.get(name)!;
      const expected = applyMethod(method, params, models.slice(0, taskCount), base!, name, shape.length === 2 ? shape[1]! : shape[0]!, shape);
      assert.deepEqual(whole.get(name), expected, `${name}: the engine's merge is the in-memory one`);
      assert.deepEqual(chunked.get(name), expected, `${name}: chunks and threads change nothing`);
    }
  });
}
