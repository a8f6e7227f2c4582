import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { executeGraph, type EngineProgress } from "../../src/engine/executor.js";
import { planGraph } from "../../src/engine/plan.js";
import { EngineAbortedError, EngineError } from "../../src/engine/errors.js";
import { ModelReader, readModelHeader } from "../../src/io/index.js";
import type { MergeNode, NodeId, ParamValue } from "../../src/graph/graph.js";
import { applyNode } from "../../src/engine/in-memory.js";
import { GraphBuilder, origin } from "./graph-builder.js";
import { readAll } from "./compare.js";
import { writeModel, type TestTensor } from "./models.js";
import { normals } from "./random.js";
import { kthLargestMagnitude } from "../../src/engine/kernels/order-statistics.js";
import { Scratch } from "../../src/engine/kernels/scratch.js";
import { tiesKernel, tiesMerge } from "../../src/methods/ties.js";
import { tempDir } from "../support/temp-dir.js";

const tmp = tempDir("mergelang-engine-");
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

const SHAPES: [string, number[]][] = [
  ["model.embed_tokens.weight", [300, 70]],
  ["model.layers.0.mlp.up_proj.weight", [50, 100]],
  ["model.layers.0.input_layernorm.weight", [7]],
  ["model.layers.1.mlp.up_proj.weight", [50, 100]],
  ["model.norm.weight", [70]],
];
const POSITIONS = new Uint8Array(new BigInt64Array([0n, 1n, 2n, 3n]).buffer);

/** A base and three fine-tuned variants with the same tensors (and an identical I64 tensor). */
async function family(name: string, variant?: (tensors: TestTensor[], i: number) => void): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const tensors: TestTensor[] = SHAPES.map(([tname, shape], k) => {
      const numel = shape.reduce((a, b) => a * b, 1);
      const base = normals(numel, 100 + k, 0.02);
      const delta = normals(numel, 1000 * i + k, 0.002);
      const data = i === 0 ? base : base.map((x, j) => x + delta[j]!);
      return { name: tname, shape, data };
    });
    tensors.push({ name: "position_ids", shape: [4], data: POSITIONS, dtype: "I64" });
    variant?.(tensors, i);
    const dir = join(tmp, name, i === 0 ? "base" : `task${i}`);
    await writeModel(dir, tensors);
    dirs.push(dir);
  }
  return dirs;
}

const familyReady = family("fam");

type MergeSpec = (g: GraphBuilder, base: NodeId, tasks: NodeId[]) => NodeId;

async function run(
  dirs: string[],
  spec: MergeSpec,
  out: string,
  opts: { maxChunkElements?: number; threads?: number; dtype?: "f32" | "bf16" | "f16" } = {},
): Promise<Map<string, Float32Array>> {
  const g = new GraphBuilder();
  const [base, ...tasks] = dirs.map((d) => g.load(d));
  g.save(spec(g, base!, tasks), out, base!, opts.dtype);
  await executeGraph(g.build(), { threads: 1, ...opts });
  return readAll(out);
}

const merges: Record<string, MergeSpec> = {
  "ties tensor": (g, b, t) => g.merge("ties", t, b, { density: 0.3 }),
  "ties global": (g, b, t) => g.merge("ties", t, b, { density: 0.3, scope: "global" }),
  "pcb tensor": (g, b, t) => g.merge("pcb", t, b, { ratio: 0.2 }),
  "pcb global": (g, b, t) => g.merge("pcb", t, b, { ratio: 0.2, scope: "global" }),
  "dare-ties": (g, b, t) => g.merge("dare", t, b, { density: 0.4, consensus: "sum", seed: 3 }),
  "breadcrumbs global": (g, b, t) => g.merge("breadcrumbs", t, b, { density: 0.5, gamma: 0.05, scope: "global" }),
  della: (g, b, t) => g.merge("della", t, b, { density: 0.4, epsilon: 0.1 }),
  "ties global over tensor-trimmed deltas": (g, b, t) => {
    const trimmed = t.map((m) => g.deltaOp("trim", [g.affine([[1, m], [-1, b]], "delta")], { density: 0.5 }));
    const back = trimmed.map((d) => g.affine([[1, b], [1, d]]));
    return g.merge("ties", back, b, { density: 0.2, scope: "global" });
  },
};

for (const [label, spec] of Object.entries(merges)) {
  test(`${label}: row chunks give exactly the result of whole tensors`, async () => {
    const dirs = await familyReady;
    const whole = await run(dirs, spec, join(tmp, `whole-${label}`));
    const chunked = await run(dirs, spec, join(tmp, `chunked-${label}`), { maxChunkElements: 1000 });
    assert.equal(chunked.size, whole.size);
    for (const [name, values] of whole) assert.deepEqual(chunked.get(name), values, `tensor ${name}`);
  });
}

const bigFamily = (async () => {
  const dirs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const base = normals(400 * 500, 7, 0.02);
    const delta = normals(400 * 500, 70 + i, 0.002);
    const data = i === 0 ? base : base.map((x, j) => x + delta[j]!);
    const dir = join(tmp, "big", String(i));
    await writeModel(dir, [{ name: "model.layers.0.mlp.up_proj.weight", shape: [400, 500], data }]);
    dirs.push(dir);
  }
  return dirs;
})();

/**
 * Sums (slerp, model_stock) depend on their grouping in the last bits: chunks give results close to
 * whole tensors, not identical; threads add block sums in block order, so they change nothing.
 */
const summing: Record<string, MergeSpec> = {
  slerp: (g, _b, t) => g.merge("slerp", t.slice(0, 2), null, { t: 0.3 }),
  model_stock: (g, b, t) => g.merge("model_stock", t, b),
};

for (const [label, spec] of Object.entries(summing)) {
  test(`${label}: chunks give the result of whole tensors up to rounding, threads exactly`, async () => {
    const dirs = await bigFamily;
    const whole = await run(dirs, spec, join(tmp, `whole-${label}`));
    const chunked = await run(dirs, spec, join(tmp, `chunked-sum-${label}`), { maxChunkElements: 1000 });
    for (const [name, values] of whole) {
      const got = chunked.get(name)!;
      values.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-6 * Math.abs(v) + 1e-12, `${name}[${i}]: ${got[i]} vs ${v}`));
    }
    const threads = await run(dirs, spec, join(tmp, `threads-sum-${label}`), { threads: 3 });
    for (const [name, values] of whole) assert.deepEqual(threads.get(name), values, `tensor ${name}`);
  });
}

for (const label of ["ties tensor", "ties global", "pcb tensor", "pcb global", "dare-ties", "breadcrumbs global", "della"]) {
  const spec = merges[label]!;
  test(`${label}: three threads give exactly the result of one`, async () => {
    const dirs = await bigFamily;
    const one = await run(dirs, spec, join(tmp, `one-${label}`), { threads: 1 });
    const three = await run(dirs, spec, join(tmp, `three-${label}`), { threads: 3 });
    for (const [name, values] of one) assert.deepEqual(three.get(name), values, `tensor ${name}`);
    const chunkedThreads = await run(dirs, spec, join(tmp, `three-chunked-${label}`), { threads: 3, maxChunkElements: 150_000 });
    for (const [name, values] of one) assert.deepEqual(chunkedThreads.get(name), values, `tensor ${name}`);
  });
}

/**
 * bf16 models large enough for the threads and for one-pass selections (tensor scope), with rows
 * that do not line up with the threads' segments: with worker threads their inputs are read as
 * stored and widened by the threads, and 16-bit outputs rounded by them in place.
 */
const bf16Family = (async () => {
  const shapes: [string, number[]][] = [
    ["model.embed_tokens.weight", [601, 503]],
    ["model.layers.0.mlp.up_proj.weight", [410, 501]],
    ["model.norm.weight", [503]],
  ];
  const dirs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const tensors = shapes.map(([name, shape], k) => {
      const numel = shape.reduce((a, b) => a * b, 1);
      const base = normals(numel, 500 + k, 0.02);
      const delta = normals(numel, 600 + 10 * i + k, 0.002);
      return { name, shape, data: i === 0 ? base : base.map((x, j) => x + delta[j]!) };
    });
    const dir = join(tmp, "bf16", i === 0 ? "base" : `task${i}`);
    await writeModel(dir, tensors, "bf16");
    dirs.push(dir);
  }
  return dirs;
})();

const bf16Merges: Record<string, MergeSpec> = {
  ...merges,
  ...summing,
  nuslerp: (g, _b, t) => g.merge("nuslerp", t.slice(0, 2), null, { t: 0.4 }),
  task_arithmetic: (g, b, t) => g.merge("task_arithmetic", t, b, { lambda: 0.7 }),
};

for (const [label, spec] of Object.entries(bf16Merges)) {
  test(`bf16 models, ${label}: three threads give exactly the bits of one, saved as bf16, f16 and f32`, async () => {
    const dirs = await bf16Family;
    for (const dtype of ["bf16", "f16", "f32"] as const) {
      const one = await run(dirs, spec, join(tmp, `bf16-one-${label}-${dtype}`), { threads: 1, dtype });
      const three = await run(dirs, spec, join(tmp, `bf16-three-${label}-${dtype}`), { threads: 3, dtype });
      assert.equal(three.size, one.size);
      for (const [name, values] of one) assert.deepEqual(three.get(name), values, `tensor ${name} (${dtype})`);
    }
    const chunkedOne = await run(dirs, spec, join(tmp, `bf16-chunked-one-${label}`), { threads: 1, maxChunkElements: 120_000, dtype: "bf16" });
    const chunkedThree = await run(dirs, spec, join(tmp, `bf16-chunked-three-${label}`), { threads: 3, maxChunkElements: 120_000, dtype: "bf16" });
    for (const [name, values] of chunkedOne) assert.deepEqual(chunkedThree.get(name), values, `chunked tensor ${name}`);
  });
}

test("a NaN in a large bf16 input is found by whichever thread widens it, and stops the run naming the model", async () => {
  const shape = [600, 500];
  const numel = shape[0]! * shape[1]!;
  const dirs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const data = normals(numel, 900 + i, 0.02);
    if (i === 2) {
      data[7] = Number.NaN; // in the first segment
      data[numel - 3] = Number.POSITIVE_INFINITY; // in the last
    }
    const dir = join(tmp, "bf16-nan", String(i));
    await writeModel(dir, [{ name: "model.layers.0.mlp.up_proj.weight", shape, data }], "bf16", 2, true);
    dirs.push(dir);
  }
  for (const [label, spec] of Object.entries({ ties: merges["ties tensor"]!, task_arithmetic: bf16Merges["task_arithmetic"]! })) {
    for (const threads of [1, 3]) {
      const out = join(tmp, `bf16-nan-${label}-${threads}`);
      await assert.rejects(
        run(dirs, spec, out, { threads }),
        (e: Error) => e instanceof EngineError && /model .*bf16-nan\/2: tensor "model\.layers\.0\.mlp\.up_proj\.weight" holds 2 NaN or ±Inf values/.test(e.message),
        `${label}, ${threads} threads`,
      );
      assert.ok(!existsSync(out), "no output");
    }
  }
});

test("bf16 models: selections taken in one pass give the two-pass result, in tensor and global scope", async () => {
  const dirs = await bf16Family;
  const [baseT, ...taskT] = dirs.map(readAll);
  const names = [...baseT!.keys()];
  const params = tiesKernel.parseParams({ density: 0.3 }, 3);
  for (const scope of ["tensor", "global"] as const) {
    const g = new GraphBuilder();
    const [base, ...tasks] = dirs.map((d) => g.load(d));
    const merged = g.merge("ties", tasks, base!, { density: 0.3, scope });
    const out = join(tmp, `one-pass-${scope}`);
    g.save(merged, out, base!);
    const labels: string[] = [];
    await executeGraph(g.build(), { threads: 2, onProgress: (p) => labels.push(p.label) });
    const written = readAll(out);
    if (scope === "tensor") {
      // applyNode selects on arrays in memory, in two radix passes.
      for (const name of names) {
        const shape = readModelHeader(dirs[0]!).tensors.get(name)!.shape;
        assert.deepEqual(written.get(name), applyNode(g.nodes[merged] as MergeNode, { name, shape }, taskT.map((t) => t.get(name)!), baseT!.get(name)!, 2), name);
      }
      continue;
    }
    assert.ok(labels.some((l) => /pass 1/.test(l)) && !labels.some((l) => /pass 2/.test(l)), "global statistics in one pass");
    // The thresholds of the whole model, from a sort-free selection over all deltas in memory.
    const thresholds = taskT.map((t) => {
      const deltas = Float32Array.from(names.flatMap((name) => Array.from(t.get(name)!, (x, j) => x - baseT!.get(name)![j]!)));
      return kthLargestMagnitude(deltas, Math.floor(deltas.length * 0.3));
    });
    for (const name of names) {
      const b = baseT!.get(name)!;
      const expected = new Float32Array(b.length);
      tiesMerge(taskT.map((t) => t.get(name)!), b, thresholds, params, expected, b.length, new Scratch());
      assert.deepEqual(written.get(name), expected, name);
    }
  }
});

test("a saved folder has the tensors, the carried I64 tensor, config and model card", async () => {
  const dirs = await familyReady;
  const out = join(tmp, "saved");
  const g = new GraphBuilder();
  const [base, a] = dirs.map((d) => g.load(d));
  g.save(g.merge("task_arithmetic", [a!], base!, { lambda: 0.5 }), out, base!, "bf16");
  const result = await executeGraph(g.build());
  assert.equal(result.saved[0]!.tensors, SHAPES.length + 1);
  const header = readModelHeader(out);
  assert.equal(header.tensors.get("model.norm.weight")!.dtype, "BF16");
  assert.equal(header.tensors.get("position_ids")!.dtype, "I64");
  const reader = new ModelReader(header);
  assert.deepEqual(new Uint8Array(reader.readRawSync("position_ids")), POSITIONS);
  reader.close();
  assert.equal(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).torch_dtype, "bfloat16");
  assert.match(readFileSync(join(out, "README.md"), "utf8"), /built by hand in a test/);
});

test("models with a differing shape: an error naming the tensor and both shapes, before writing", async () => {
  const dirs = await familyReady;
  const odd = join(tmp, "odd");
  await writeModel(odd, [
    ...SHAPES.map(([name, shape]) => ({
      name,
      shape: name === "model.norm.weight" ? [71] : shape,
      data: new Float32Array(name === "model.norm.weight" ? 71 : shape.reduce((a, b) => a * b, 1)),
    })),
    { name: "position_ids", shape: [4], data: POSITIONS, dtype: "I64" },
  ]);
  const out = join(tmp, "never");
  const g = new GraphBuilder();
  const base = g.load(dirs[0]!);
  const other = g.load(odd);
  g.save(g.merge("task_arithmetic", [other], base), out, base);
  await assert.rejects(executeGraph(g.build()), (e: Error) => {
    assert.ok(e instanceof EngineError);
    assert.match(e.message, /tensor "model\.norm\.weight" has shape \[71\] in .*odd but \[70\] in/);
    return true;
  });
  assert.equal(existsSync(out), false);
});

test("non-float tensors that differ between models are an error naming the tensor", async () => {
  const dirs = await family("famI64", (tensors, i) => {
    if (i === 2) tensors[tensors.length - 1]!.data = new Uint8Array(new BigInt64Array([0n, 1n, 2n, 4n]).buffer);
  });
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  g.save(g.merge("ties", [a!, b!], base!), join(tmp, "i64"), base!);
  await assert.rejects(executeGraph(g.build()), /tensor "position_ids" is I64 \(not a float\) and differs between/);
  assert.equal(existsSync(join(tmp, "i64")), false);
});

test("a failure mid-way leaves an existing output folder untouched and no temporary folder", async () => {
  const dirs = await familyReady;
  const out = join(tmp, "existing");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "README.md"), "old");
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  // A where clause that gives one late tensor an invalid density fails after other tensors were written.
  const merged = g.merge("ties", [a!, b!], base!, { density: 0.3 }, [
    { selector: { kind: "glob", pattern: "model.norm.*" }, values: { density: 7 }, origin },
  ]);
  g.save(merged, out, base!);
  // The folder is not mergelang's: only overwrite replaces it, and even then only once complete.
  await assert.rejects(executeGraph(g.build(), { overwrite: true }), (e: Error) => {
    assert.match(e.message, /^test\.merge:1:1: ties: density must be between 0 and 1, got 7 \(for tensor "model\.norm\.weight"\)/);
    return true;
  });
  assert.deepEqual(readdirSync(out), ["README.md"]);
  assert.equal(readFileSync(join(out, "README.md"), "utf8"), "old");
  assert.deepEqual(readdirSync(tmp).filter((n) => n.includes("existing") && n !== "existing"), []);
});

test("global scope refuses statistics parameters that differ per tensor", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  const merged = g.merge("ties", [a!, b!], base!, { density: 0.3, scope: "global" }, [
    { selector: { kind: "layers", from: 1, to: 1 }, values: { density: 0.5 }, origin },
  ]);
  g.save(merged, join(tmp, "global-where"), base!);
  await assert.rejects(executeGraph(g.build()), /scope: "global" needs one density for the whole model/);
});

test("cancelling stops the run and leaves no output", async () => {
  const dirs = await familyReady;
  const out = join(tmp, "cancelled");
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  g.save(g.merge("pcb", [a!, b!], base!, { scope: "global" }), out, base!);
  const controller = new AbortController();
  let calls = 0;
  const onProgress = (): void => {
    if (++calls === 3) controller.abort();
  };
  await assert.rejects(executeGraph(g.build(), { signal: controller.signal, onProgress }), EngineAbortedError);
  assert.equal(existsSync(out), false);
});

test("progress counts tensors and bytes; other effects go to the handler in order", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a] = dirs.map((d) => g.load(d));
  g.effects.push({ kind: "print", text: "before", origin });
  g.save(g.merge("ties", [a!], base!, { scope: "global" }), join(tmp, "progress"), base!);
  g.effects.push({ kind: "print", text: "after", origin });
  const seen: EngineProgress[] = [];
  const handled: string[] = [];
  await executeGraph(g.build(), {
    onProgress: (p) => seen.push(p),
    onEffect: (e) => {
      if (e.kind === "print") handled.push(`${e.text}:${seen.length}`);
    },
  });
  assert.deepEqual(handled, ["before:0", `after:${seen.length}`]);
  const last = seen[seen.length - 1]!;
  assert.equal(last.phase, "write");
  assert.equal(last.tensorsDone, SHAPES.length + 1);
  assert.equal(last.tensorsTotal, SHAPES.length + 1);
  const floats = SHAPES.reduce((acc, [, s]) => acc + s.reduce((x, y) => x * y, 1), 0);
  // Statistics: two radix passes over two models; then the write pass reads them once more, and
  // the I64 tensor of both models (4 × 8 bytes each).
  assert.equal(last.bytesRead, floats * 4 * 2 * 3 + 2 * 32);
  assert.ok(seen.some((p) => p.phase === "statistics"));
  const unhandled = await executeGraph({ nodes: g.nodes, effects: [{ kind: "print", text: "x", origin }] });
  assert.equal(unhandled.unhandled.length, 1);
});

test("a method without a kernel is a clear error", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a] = dirs.map((d) => g.load(d));
  g.save(g.merge("frobnicate", [a!], base!, {} as Record<string, ParamValue>), join(tmp, "nokernel"), base!);
  await assert.rejects(executeGraph(g.build()), /the cpu engine has no kernel for "frobnicate"/);
});

test("the plan's bytes read and written are what execution reads and writes", async () => {
  const dirs = await familyReady;
  for (const [label, spec] of Object.entries(merges)) {
    for (const maxChunkElements of [undefined, 1000]) {
      const g = new GraphBuilder();
      const [base, ...tasks] = dirs.map((d) => g.load(d));
      g.save(spec(g, base!, tasks), join(tmp, "planned"), base!, "bf16");
      const plan = planGraph(g.build(), { maxChunkElements, threads: 1 });
      const result = await executeGraph(g.build(), { maxChunkElements, threads: 1 });
      const [p] = plan.saves;
      const [r] = result.saved;
      assert.equal(p!.tensors, r!.tensors, label);
      assert.equal(p!.bytesWritten, statSync(join(tmp, "planned", "model.safetensors")).size, label);
      if (label.startsWith("ties global over")) assert.ok(p!.bytesRead <= r!.bytesRead, label);
      else assert.equal(p!.bytesRead, r!.bytesRead, `${label}, chunks of ${maxChunkElements}`);
      assert.ok(p!.peakMemoryBytes > 0);
    }
  }
});

test("the plan runs execution's checks: a bad parameter on one tensor fails the dry run", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a] = dirs.map((d) => g.load(d));
  g.save(
    g.merge("pcb", [a!], base!, {}, [{ selector: { kind: "glob", pattern: "*.norm.*" }, values: { ratio: 3 }, origin }]),
    join(tmp, "never-planned"),
    base!,
  );
  assert.throws(() => planGraph(g.build()), /pcb: ratio must be between 0 and 1, got 3 \(for tensor "model\.norm\.weight"\)/);
});

test("disjoint_mean with a sign: the graph passes it as one input more than the deltas", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  const da = g.affine([[1, a!], [-1, base!]], "delta");
  const db = g.affine([[1, b!], [-1, base!]], "delta");
  const ta = g.deltaOp("trim", [da], { density: 0.3 });
  const tb = g.deltaOp("trim", [db], { density: 0.3 });
  const sign = g.deltaOp("elect", [ta, tb]);
  const mean = g.deltaOp("disjoint_mean", [ta, tb, sign]);
  (g.nodes[mean] as { params: { modelCount: number } }).params.modelCount = 2;
  g.save(g.affine([[1, base!], [1, mean]]), join(tmp, "steps"), base!);
  await executeGraph(g.build(), { threads: 1 });
  const ties = await run([dirs[0]!, dirs[1]!, dirs[2]!], (gg, bb, tt) => gg.merge("ties", tt, bb, { density: 0.3 }), join(tmp, "steps-ties"));
  const steps = readAll(join(tmp, "steps"));
  for (const [name, values] of ties) {
    const got = steps.get(name)!;
    values.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-7 + 1e-6 * Math.abs(v), `${name}[${i}]: ${got[i]} vs ${v}`));
  }
});

test("applyNode on tensors in memory gives what the executor writes", async () => {
  const dirs = await familyReady;
  const g = new GraphBuilder();
  const [base, a, b] = dirs.map((d) => g.load(d));
  const merged = g.merge("della", [a!, b!], base!, { density: 0.5, epsilon: 0.2, seed: 1 });
  g.save(merged, join(tmp, "della-node"), base!);
  await executeGraph(g.build(), { threads: 1 });
  const written = readAll(join(tmp, "della-node"));
  const [baseT, aT, bT] = dirs.map(readAll);
  const node = g.nodes[merged] as MergeNode;
  for (const [name, shape] of SHAPES) {
    const out = applyNode(node, { name, shape }, [aT!.get(name)!, bT!.get(name)!], baseT!.get(name)!, 2);
    assert.deepEqual(out, written.get(name), name);
  }
});
