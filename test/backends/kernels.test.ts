/**
 * Each tfjs kernel against its CPU kernel on arrays: the same statistics (exact where the series are
 * the same float32 values) and the same results within the fixtures' tolerance, on random and on
 * awkward data (ties at thresholds, zeros, NaN), with the tensor memory each kernel declares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ResolvedParams } from "../../src/graph/params.js";
import { applyMethod } from "../../src/engine/in-memory.js";
import { StatsRunner } from "../../src/engine/stats-runner.js";
import { Scratch } from "../../src/engine/kernels/scratch.js";
import { getKernel } from "../../src/methods/registry.js";
import { getTfjsKernel, tfjsKernelNames } from "../../src/methods/tfjs/registry.js";
import { type AnyTfjsKernel, uploadChunk } from "../../src/methods/tfjs/kernel.js";
import { DeviceStatsRunner } from "../../src/backends/tfjs/stats.js";
import { HISTOGRAM_TEMPS } from "../../src/backends/tfjs/memory.js";
import { awkward, normals } from "../engine/random.js";
import { useTfjsCpu } from "./tfjs-setup.js";

const tf = await useTfjsCpu();
const LENGTH = 12000;

function models(n: number, seed: number, odd = false): { inputs: Float32Array[]; base: Float32Array } {
  const base = normals(LENGTH, seed, 0.02);
  const inputs = Array.from({ length: n }, (_, i) => {
    const d = odd ? awkward(LENGTH, seed + 10 * (i + 1)) : normals(LENGTH, seed + 10 * (i + 1), 0.002);
    return base.map((b, j) => b + d[j]!);
  });
  return { inputs, base };
}

function cpuStats(method: string, params: ResolvedParams, inputs: Float32Array[], base: Float32Array | null): unknown {
  const k = getKernel(method)!;
  const parsed = k.parseParams(params, inputs.length);
  const runner = new StatsRunner(k, parsed, LENGTH, inputs.length);
  const chunk = { inputs, base, length: LENGTH, offset: 0, rowLength: LENGTH };
  while (runner.needsPass) {
    runner.accumulate(chunk, { scratch: new Scratch(), tensor: "t" });
    runner.endPass();
  }
  return runner.result();
}

/** The kernel on the device: statistics from device histograms, then its tensor steps. */
async function onDevice(kernel: AnyTfjsKernel, params: ResolvedParams, inputs: Float32Array[], base: Float32Array | null) {
  const parsed = kernel.parseParams(params, inputs.length);
  const chunk = uploadChunk({ inputs, base: kernel.base === "unused" ? null : base, length: LENGTH, offset: 0, rowLength: LENGTH });
  try {
    let stats: unknown = null;
    if (kernel.stats) {
      const runner = new DeviceStatsRunner(kernel, parsed, LENGTH, inputs.length, { search: "searchSorted", deviceHistogramMinElements: 0 });
      while (runner.needsPass) {
        await runner.accumulate(chunk);
        runner.endPass();
      }
      stats = runner.result();
    }
    const startBytes = tf.memory().numBytes;
    let out: Float32Array = new Float32Array(0);
    const profile = await tf.profile(() => {
      const t = tf.tidy(() => kernel.steps.apply(parsed, stats, chunk));
      out = t.dataSync() as Float32Array;
      t.dispose();
    });
    return { stats, out, peakTensors: (profile.peakBytes - startBytes) / (4 * LENGTH) };
  } finally {
    tf.dispose([...chunk.inputs, ...(chunk.base ? [chunk.base] : [])]);
  }
}

function mismatches(actual: Float32Array, expected: Float32Array): { bad: number; worst: string } {
  let bad = 0;
  let worst = "";
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= 1e-6 + 1e-5 * Math.abs(e);
    if (!ok) {
      bad++;
      worst ||= `[${i}]: device ${a}, CPU ${e}`;
    }
  }
  return { bad, worst };
}

interface Case {
  method: string;
  params: ResolvedParams;
  n: number;
  odd?: boolean;
  /** Statistics that must be identical (their series are the same float32 values). */
  exactStats?: boolean;
  /** Delta operations take deltas (and disjoint_mean's sign) as inputs. */
  deltas?: (inputs: Float32Array[], base: Float32Array) => Float32Array[];
}

const asDeltas = (inputs: Float32Array[], base: Float32Array): Float32Array[] => inputs.map((m) => m.map((x, j) => x - base[j]!));
const signOf = (d: Float32Array[]): Float32Array => d[0]!.map((_, j) => (d.reduce((s, x) => s + x[j]!, 0) >= 0 ? 1 : -1));

const cases: Case[] = [
  { method: "linear", params: { weights: [1, 2, 3] }, n: 3 },
  { method: "linear", params: { weights: [1, -0.5], normalize: false }, n: 2 },
  { method: "linear", params: { weights: [0.3, 0.9, 0.45], precision: "bf16" }, n: 3 },
  { method: "task_arithmetic", params: { lambda: 0.7, weights: [1, 0.5, 2] }, n: 3 },
  { method: "ties", params: { density: 0.3 }, n: 3, exactStats: true },
  { method: "ties", params: { density: 0.3, consensus: "count", normalize: false, lambda: 1.3 }, n: 3, exactStats: true },
  { method: "ties", params: { density: [0.1, 0.5, 1], weights: [1, -0.5, 0.8] }, n: 3, exactStats: true },
  { method: "ties", params: { density: 0.6, weights: [1, -0.5, 0.8], agreement: "weighted" }, n: 3, exactStats: true },
  { method: "ties", params: { density: 0.6, weights: [-1, 0.5, 0.8], agreement: "weighted", consensus: "count" }, n: 3, exactStats: true },
  { method: "ties", params: { density: 0 }, n: 2, exactStats: true },
  { method: "ties", params: { density: 0.4 }, n: 4, odd: true, exactStats: true },
  { method: "ties", params: { density: 0.25 }, n: 9, exactStats: true },
  { method: "pcb", params: { ratio: 0.2, clip: 0.01, lambda: 1.1 }, n: 3 },
  { method: "pcb", params: { ratio: 0.2, weights: [0.4, 1.3, 0.7] }, n: 3 },
  { method: "pcb", params: { ratio: 0.1 }, n: 2 },
  { method: "pcb", params: { ratio: 0.3 }, n: 3, odd: true },
  { method: "trim", params: { density: 0.25 }, n: 1, odd: true, exactStats: true, deltas: asDeltas },
  { method: "elect", params: {}, n: 3, deltas: asDeltas },
  { method: "elect", params: { consensus: "count" }, n: 3, odd: true, deltas: asDeltas },
  { method: "disjoint_mean", params: {}, n: 3, odd: true, deltas: asDeltas },
  { method: "disjoint_mean", params: { sign: true }, n: 3, deltas: (m, b) => [...asDeltas(m, b), signOf(asDeltas(m, b))] },
];

for (const c of cases) {
  test(`tfjs ${c.method}(${JSON.stringify(c.params)}) on ${c.n} ${c.odd ? "awkward" : "random"} inputs matches the CPU kernel`, async () => {
    const kernel = getTfjsKernel(c.method);
    assert.ok(kernel, `no tfjs kernel for ${c.method}`);
    const { inputs: models_, base } = models(c.n, 7 + c.n, c.odd);
    const inputs = c.deltas ? c.deltas(models_, base) : models_;
    const cpuBase = kernel.base === "unused" ? null : base;
    const before = tf.memory().numTensors;
    const device = await onDevice(kernel, c.params, inputs, base);
    assert.equal(tf.memory().numTensors, before, "the kernel leaves no tensor behind");
    if (kernel.stats) {
      const want = cpuStats(c.method, c.params, inputs, cpuBase);
      if (c.exactStats) assert.deepEqual(device.stats, want, "statistics identical to the CPU engine's");
    }
    const cpu = applyMethod(c.method, c.params, inputs, cpuBase);
    const m = mismatches(device.out, cpu);
    assert.ok(m.bad <= 1e-4 * LENGTH, `${m.bad} elements differ; first ${m.worst}`);
    const declared = kernel.steps.deviceTemps(inputs.length) + 1;
    if (process.env["SHOW_PEAKS"]) console.log(c.method, inputs.length, device.peakTensors.toFixed(2), declared);
    assert.ok(device.peakTensors <= declared, `peak ${device.peakTensors.toFixed(2)} chunk tensors, declared ${declared}`);
  });
}

test("NaN and infinite deltas give what the CPU kernels give", async () => {
  const { inputs, base } = models(3, 3);
  inputs[0]![5] = NaN;
  inputs[1]![6] = Infinity;
  inputs[2]![7] = -Infinity;
  for (const method of ["ties", "task_arithmetic", "linear"]) {
    const kernel = getTfjsKernel(method)!;
    const device = await onDevice(kernel, { density: 0.5 }, inputs, base);
    const cpu = applyMethod(method, { density: 0.5 }, inputs, kernel.base === "unused" ? null : base);
    for (const i of [5, 6, 7, 8]) {
      assert.ok(Object.is(device.out[i], cpu[i]) || Math.abs(device.out[i]! - cpu[i]!) <= 1e-6, `${method}[${i}]: device ${device.out[i]}, CPU ${cpu[i]}`);
    }
  }
});

test("the tfjs kernels are registered under backend \"tfjs\", one per method, beside the CPU ones", () => {
  assert.deepEqual(tfjsKernelNames(), ["disjoint_mean", "elect", "linear", "pcb", "task_arithmetic", "ties", "trim"]);
  for (const name of tfjsKernelNames()) {
    const k = getKernel(name, "tfjs")!;
    assert.equal(k.backend, "tfjs");
    assert.equal(getKernel(name, "cpu")!.backend, "cpu");
  }
  assert.equal(getKernel("dare", "tfjs"), undefined, "dare has no tfjs kernel: it falls back to the CPU kernel");
});

test("a tfjs kernel is a complete MethodKernel: its array apply equals its tensor steps", () => {
  const { inputs, base } = models(3, 11);
  const kernel = getKernel("task_arithmetic", "tfjs")!;
  const parsed = kernel.parseParams({ lambda: 0.5 }, 3);
  const out = new Float32Array(LENGTH);
  kernel.apply(parsed, null, { inputs, base, length: LENGTH, offset: 0, rowLength: LENGTH }, out, { scratch: new Scratch(), tensor: "t" });
  const m = mismatches(out, applyMethod("task_arithmetic", { lambda: 0.5 }, inputs, base));
  assert.equal(m.bad, 0, m.worst);
});

/** Peak tensor bytes of a device statistics session over one chunk of `length` elements. */
async function statsPeakBytes(method: string, n: number, length: number): Promise<number> {
  const kernel = getTfjsKernel(method)!;
  const base = normals(length, 1, 0.02);
  const inputs = Array.from({ length: n }, (_, i) => {
    const d = normals(length, 10 + i, 0.002);
    return base.map((b, j) => b + d[j]!);
  });
  const parsed = kernel.parseParams({}, n);
  const chunk = uploadChunk({ inputs, base: kernel.base === "unused" ? null : base, length, offset: 0, rowLength: length });
  const runner = new DeviceStatsRunner(kernel, parsed, length, n, { search: "gather", deviceHistogramMinElements: 0 });
  let peak = 0;
  while (runner.needsPass) {
    const start = tf.memory().numBytes;
    const profile = await tf.profile(() => runner.accumulate(chunk));
    peak = Math.max(peak, profile.peakBytes - start);
    runner.endPass();
  }
  tf.dispose([...chunk.inputs, ...(chunk.base ? [chunk.base] : [])]);
  return peak;
}

test("statistics passes hold no more chunk tensors than their kernels declare", async () => {
  for (const [method, n] of [["ties", 3], ["ties", 8], ["pcb", 3], ["trim", 1]] as const) {
    // The growth between two chunk lengths: the per-element tensors, without the fixed histograms.
    const perElement = ((await statsPeakBytes(method, n, 20000)) - (await statsPeakBytes(method, n, 5000))) / (4 * 15000);
    const declared = getTfjsKernel(method)!.steps.seriesTemps!(n) + HISTOGRAM_TEMPS;
    if (process.env["SHOW_PEAKS"]) console.log(method, n, perElement.toFixed(2), declared);
    assert.ok(perElement <= declared, `${method} with ${n} inputs: ${perElement.toFixed(2)} tensors per element, declared ${declared}`);
  }
});
