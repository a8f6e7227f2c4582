/**
 * The executor with a TensorFlow.js backend: delta operations, methods without a tfjs kernel (run
 * on the host, with a note), tensors chunked to a device memory budget, and no tensor leaked —
 * after every tensor, after a full merge, and after a failed one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { DeviceError } from "../../src/backends/errors.js";
import { resolveDevice } from "../../src/backends/resolve.js";
import { EngineError } from "../../src/engine/errors.js";
import type { ParamValue } from "../../src/graph/graph.js";
import { countMismatches } from "../engine/compare.js";
import { type Build, builders, expectedOf, manifest, runOnFamily } from "./reference.js";
import { HISTOGRAM_MIN, useTfjsCpu } from "./tfjs-setup.js";

const tf = await useTfjsCpu();

function assertClose(actual: Map<string, Float32Array>, expected: Map<string, Float32Array>, what: string): void {
  const m = countMismatches(actual, expected, false);
  assert.ok(m.bad <= 1e-4 * m.total, `${what}: ${m.bad} of ${m.total} elements outside the tolerance; worst ${m.worst}`);
}

/** The same graph through tfjs-cpu and through the CPU engine. */
async function bothWays(build: Build, opts: Parameters<typeof resolveDevice>[1] = {}) {
  const onDevice = await runOnFamily("tiny_f32", build, "f32", await resolveDevice("tfjs-cpu", opts));
  const onCpu = await runOnFamily("tiny_f32", build, "f32", undefined);
  return { onDevice, onCpu };
}

test("TIES's steps as delta operations (trim, elect, disjoint_mean with a sign) match the CPU engine", async () => {
  const build: Build = (g, m, tasks) => {
    const deltas = tasks.map((t) => g.affine([[1, t], [-1, m.base!]], "delta"));
    const trimmed = deltas.map((d, i) => g.deltaOp("trim", [d], { density: [0.2, 0.35, 0.5][i]! }));
    const sign = g.deltaOp("elect", trimmed, { consensus: "count" });
    const mean = g.deltaOp("disjoint_mean", [...trimmed, sign]);
    // disjoint_mean(d..., sign): the language passes the sign as one input more than the deltas.
    const node = g.nodes[mean]!;
    if (node.kind === "delta_op") node.params.modelCount = trimmed.length;
    const unsigned = g.deltaOp("disjoint_mean", trimmed);
    return g.affine([[1, m.base!], [0.7, mean], [0.3, unsigned]]);
  };
  const { onDevice, onCpu } = await bothWays(build, { deviceHistogramMinElements: HISTOGRAM_MIN });
  assertClose(onDevice, onCpu, "against the CPU engine");
});

test("TIES variants (count consensus, no normalisation, per-layer density) match the CPU engine", async () => {
  const where = [{ selector: { kind: "layers" as const, from: 1, to: 2 }, values: { density: 0.6 } as Record<string, ParamValue>, origin: { file: "t", line: 1, column: 1 } }];
  const variants: Build[] = [
    (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.25, consensus: "count", normalize: false, scope: "global" }),
    (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.3, weights: [0.5, 1, 2], lambda: 0.8 }, where),
  ];
  for (const build of variants) {
    const { onDevice, onCpu } = await bothWays(build, { deviceHistogramMinElements: HISTOGRAM_MIN });
    assertClose(onDevice, onCpu, "against the CPU engine");
  }
});

test("a method without a tfjs kernel runs its CPU kernel on the host, says so, and gives the CPU engine's bits", async () => {
  const notes: string[] = [];
  const build: Build = (g, m, tasks) => g.merge("dare", tasks, m.base!, { density: 0.4, seed: 3 });
  const onDevice = await runOnFamily("tiny_f32", build, "f32", await resolveDevice("tfjs-cpu", { onNote: (n) => notes.push(n) }));
  const onCpu = await runOnFamily("tiny_f32", build, "f32", undefined);
  for (const [name, want] of onCpu) assert.deepEqual(onDevice.get(name), want, name);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /dare has no TensorFlow\.js kernel: it runs on the CPU kernel/);
});

test("a fallback method with global statistics counts them on the host", async () => {
  const build: Build = (g, m, tasks) => g.merge("breadcrumbs", tasks, m.base!, { density: 0.8, gamma: 0.02, scope: "global" });
  const { onDevice, onCpu } = await bothWays(build);
  for (const [name, want] of onCpu) assert.deepEqual(onDevice.get(name), want, name);
});

const wasmInstalled = ((): boolean => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
    return true;
  } catch {
    return false;
  }
})();

for (const device of ["tfjs-cpu", "wasm"]) {
  const skip = device === "wasm" && !wasmInstalled ? "@tensorflow/tfjs-backend-wasm is not installed" : false;
  test(`${device}: no tensor is left on the device after each tensor and after a full merge`, { skip }, async () => {
    const backend = await resolveDevice(device, { deviceHistogramMinElements: HISTOGRAM_MIN });
    const build: Build = (g, m, tasks) => {
      const ties = g.merge("ties", tasks, m.base!, { density: 0.2, scope: "global" });
      const pcb = g.merge("pcb", tasks, m.base!, { ratio: 0.2 });
      const sign = g.deltaOp("elect", tasks.map((t) => g.affine([[1, t], [-1, m.base!]], "delta")));
      return g.affine([[0.5, ties], [0.5, pcb], [1e-4, sign]]);
    };
    // The first save starts the backend (it may keep tensors of its own): count from then on.
    await runOnFamily("tiny_bf16", (_g, m) => m.base!, "f32", backend);
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    await runOnFamily("tiny_f32", build, "f32", backend, { onProgress: () => counts.push(tf.memory().numTensors) });
    assert.ok(counts.length > 39, "progress after every tensor");
    assert.deepEqual([...new Set(counts)], [start], "the tensor count after every tensor");
    assert.equal(tf.memory().numTensors, start, "after the merge");
  });
}

test("a merge that fails on the device leaves no tensor behind", async () => {
  const start = tf.memory().numTensors;
  const build: Build = (g, m, tasks) => g.affine([[1, g.merge("ties", tasks, m.base!, { density: 0.3, lambda: "big" })], [0, m.base!]]);
  await assert.rejects(runOnFamily("tiny_f32", build, "f32", await resolveDevice("tfjs-cpu")), (e: unknown) => {
    assert.ok(e instanceof EngineError);
    assert.match(e.message, /lambda must be a finite number/);
    return true;
  });
  assert.equal(tf.memory().numTensors, start);
});

for (const name of ["ties_tensor_d30_w", "pcb_tensor_r20"]) {
  test(`${name}: chunked to a small device memory budget, no step holds more, and the result is unchanged`, async () => {
    const c = manifest.cases.find((x) => x.case === name)!;
    const budget = (2 << 20) + 40 * 4 * 3000; // about 3000 elements per chunk: the large tensors take several
    const backend = await resolveDevice("tfjs-cpu", { deviceMemoryBytes: budget, deviceHistogramMinElements: HISTOGRAM_MIN });
    const startBytes = tf.memory().numBytes;
    let out = new Map<string, Float32Array>();
    const profile = await tf.profile(async () => {
      out = await runOnFamily(c.family, builders[c.case]!, c.out_dtype, backend, { maxChunkElements: 1 << 26 });
    });
    assert.ok(profile.peakBytes - startBytes <= budget, `peak ${profile.peakBytes - startBytes} bytes, budget ${budget}`);
    assertClose(out, expectedOf(c), "against the expected tensors");
    assertClose(out, await runOnFamily(c.family, builders[c.case]!, c.out_dtype, undefined), "against the CPU engine");
  });
}

test("a device memory budget too small for one chunk is an error that says so", async () => {
  const build: Build = (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.3 });
  await assert.rejects(runOnFamily("tiny_f32", build, "f32", await resolveDevice("tfjs-cpu", { deviceMemoryBytes: 1 << 20 })), (e: unknown) => {
    assert.ok(e instanceof EngineError || e instanceof DeviceError);
    assert.match((e as Error).message, /device memory budget \(1048576 bytes\) is too small/);
    return true;
  });
});
