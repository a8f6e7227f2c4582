import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";
import { normals } from "../engine/random.js";
import { fusionThreshold } from "../../src/methods/arcee-fusion.js";
import { streamKey } from "../../src/methods/shared/random.js";

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);
const close = (actual: Float32Array, expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol * Math.max(1, Math.abs(e)), `[${i}]: ${actual[i]} vs ${e}`));
};

test("nearswap takes the other model where it is within t of the base", () => {
  const base = f32([0, 1, 2, 2]);
  const other = f32([0.5, 1, 2.1, 5]);
  // w = clamp(0.2 / |base − other|, 0, 1): 0.4, 1 (equal), 1 (clamped), 1/15.
  close(applyMethod("nearswap", { t: 0.2 }, [other], base), [0.2, 1, 2.1, 5 / 15 + (14 / 15) * 2]);
  assert.throws(() => applyMethod("nearswap", { t: 0 }, [other], base), /t must be more than 0/);
  assert.throws(() => applyMethod("nearswap", {}, [other], base), /t is required/);
});

test("nuslerp interpolates by t = w2 / (w1 + w2) along the arc, against the base when it has one", () => {
  const s = Math.SQRT1_2;
  close(applyMethod("nuslerp", {}, [f32([1, 0]), f32([0, 1])]), [s, s]);
  close(applyMethod("nuslerp", { weights: [1, 3] }, [f32([1, 0]), f32([0, 1])]), [Math.sin(Math.PI / 8), Math.sin((3 * Math.PI) / 8)]);
  // With a base the task vectors (1, 0) and (0, 1) are interpolated and added back.
  close(applyMethod("nuslerp", {}, [f32([2, 1]), f32([1, 2])], f32([1, 1])), [1 + s, 1 + s]);
  // Colinear vectors, and weights summing to 0 (t = 0.5), interpolate linearly.
  close(applyMethod("nuslerp", { weights: [3, 1] }, [f32([1, 2]), f32([2, 4])]), [1.25, 2.5]);
  close(applyMethod("nuslerp", { weights: [1, -1] }, [f32([1, 2]), f32([2, 4])]), [1.5, 3]);
});

test("nuslerp with flatten: false takes one angle per row", () => {
  const a = f32([1, 0, 1, 2]);
  const b = f32([0, 1, 2, 4]);
  // Row 0 is orthogonal (the arc), row 1 colinear (linear).
  close(applyMethod("nuslerp", { flatten: false }, [a, b], null, "t", 2), [Math.SQRT1_2, Math.SQRT1_2, 1.5, 3]);
  const flat = applyMethod("nuslerp", { flatten: true }, [a, b], null, "t", 2);
  assert.notDeepEqual(flat, applyMethod("nuslerp", { flatten: false }, [a, b], null, "t", 2));
});

test("karcher finds the spherical mean direction and scales it by the mean norm", () => {
  const s = Math.SQRT1_2;
  close(applyMethod("karcher", {}, [f32([2, 0]), f32([0, 4])]), [3 * s, 3 * s]);
  const third = 1 / Math.sqrt(3);
  close(applyMethod("karcher", {}, [f32([1, 0, 0]), f32([0, 1, 0]), f32([0, 0, 1])]), [third, third, third]);
  // Two of three directions at 0°, one at 90°: the Karcher mean on the circle is the mean angle, 30°,
  // where the Euclidean mean would point at atan(1/2) ≈ 26.6°.
  close(applyMethod("karcher", {}, [f32([1, 0]), f32([0, 1]), f32([1, 0])]), [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)]);
  // A zero model adds no direction but counts in the mean norm.
  close(applyMethod("karcher", {}, [f32([3, 0]), f32([0, 0])]), [1.5, 0]);
});

/** mergekit's multislerp written out on plain vectors, as the reference. */
function multislerpReference(xs: number[][], weights: number[], eps = 1e-8): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const w = weights.map((x) => x / total);
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
  const norms = xs.map((x) => Math.sqrt(dot(x, x)));
  const units = xs.map((x, i) => x.map((v) => v / (norms[i]! + eps)));
  const d = xs[0]!.length;
  let mean = Array.from({ length: d }, (_, k) => units.reduce((s, u, i) => s + w[i]! * u[k]!, 0));
  const mn = Math.sqrt(dot(mean, mean));
  mean = mean.map((v) => v / mn);
  const tangent = Array.from({ length: d }, (_, k) => units.reduce((s, u, i) => s + w[i]! * (u[k]! - dot(u, mean) * mean[k]!), 0));
  const tn = Math.sqrt(dot(tangent, tangent)) + eps;
  const avg = norms.reduce((s, n, i) => s + n * w[i]!, 0);
  return mean.map((m, k) => (m * Math.cos(tn) + tangent[k]! * (Math.sin(tn) / tn)) * avg);
}

test("multislerp matches mergekit's algorithm, with and without a base", () => {
  const xs = [normals(64, 1), normals(64, 2), normals(64, 3)];
  const weights = [0.5, 0.3, 0.2];
  close(applyMethod("multislerp", { weights }, xs), multislerpReference(xs.map((x) => [...x]), weights), 1e-5);
  const base = normals(64, 4);
  const deltas = xs.map((x) => [...x].map((v, i) => Math.fround(v - base[i]!)));
  const expected = multislerpReference(deltas, weights).map((v, i) => v + base[i]!);
  close(applyMethod("multislerp", { weights }, xs, base), expected, 1e-5);
  const s = Math.SQRT1_2;
  close(applyMethod("multislerp", {}, [f32([1, 0]), f32([0, 1])]), [s, s]);
  // Antipodal inputs with balancing weights: two fall back to the linear mix, three are an error.
  close(applyMethod("multislerp", {}, [f32([1, 0]), f32([-1, 0])]), [0, 0]);
  assert.throws(() => applyMethod("multislerp", {}, [f32([1, 0]), f32([-1, 0]), f32([0, 0])]), /weighted sum of the input directions is zero/);
});

test("sce weights task vectors by their energy and merges the agreeing signs", () => {
  const base = f32([0, 0, 0, 0]);
  const a = f32([1, -2, 0.5, 3]);
  const b = f32([1, 2, -0.5, 1]);
  const wa = 14.25 / 20.5;
  const wb = 6.25 / 20.5;
  // Majority signs (of Σ δ, 0 → +): +, +, +, +.
  close(applyMethod("sce", {}, [a, b], base), [1, 2, 0.5, wa * 3 + wb * 1]);
  // Variances 0, 4, 0.25, 1: three non-zero, so select_topk 0.5 keeps floor(1.5) = 1 position.
  close(applyMethod("sce", { select_topk: 0.5 }, [a, b], base), [0, 2, 0, 0]);
  // select_topk 0.9 keeps floor(2.7) = 2 positions (variances 4 and 1); weights 13/18 and 5/18.
  close(applyMethod("sce", { select_topk: 0.9 }, [a, b], base), [0, 2, 0, (13 * 3 + 5 * 1) / 18]);
});

test("passthrough scales one model", () => {
  close(applyMethod("passthrough", { scale: 0.5 }, [f32([2, -4])]), [1, -2]);
  assert.deepEqual(applyMethod("passthrough", {}, [f32([2, -4])]), f32([2, -4]));
});

/** ones·scale with d elements: deltas of 1 against a zero base. */
function unitTask(d: number): { base: Float32Array; model: Float32Array } {
  return { base: new Float32Array(d), model: new Float32Array(d).fill(1) };
}

test("dare keeps density of the entries within 3σ and its 1/density rescaling keeps the expected sum", () => {
  const d = 200_000;
  const density = 0.3;
  const base = new Float32Array(d);
  const delta = normals(d, 11, 1);
  const out = applyMethod("dare", { density, seed: 5 }, [delta], base);
  const kept = out.filter((x) => x !== 0).length;
  const sigma = Math.sqrt(d * density * (1 - density));
  assert.ok(Math.abs(kept - d * density) < 3 * sigma, `kept ${kept} of ${d}`);
  // E[Σ out] = Σ δ; Var[Σ out] = Σ δ² (1 − p) / p.
  const sumDelta = delta.reduce((a, b) => a + b, 0);
  const sumOut = out.reduce((a, b) => a + b, 0);
  const sd = Math.sqrt((delta.reduce((a, b) => a + b * b, 0) * (1 - density)) / density);
  assert.ok(Math.abs(sumOut - sumDelta) < 3 * sd, `sum ${sumOut} vs ${sumDelta} (σ ${sd})`);
});

test("dare with a norm rescale keeps each task vector's norm, as mergekit's rescale does", () => {
  const d = 50_000;
  const base = normals(d, 3, 0.1);
  const model = base.map((b, i) => b + normals(d, 4, 0.01)[i]!);
  const delta = model.map((m, i) => Math.fround(m - base[i]!));
  const l1 = (xs: Float32Array): number => xs.reduce((a, b) => a + Math.abs(b), 0);
  const l2 = (xs: Float32Array): number => Math.sqrt(xs.reduce((a, b) => a + b * b, 0));
  const outL1 = applyMethod("dare", { density: 0.4, rescale: "l1", seed: 2 }, [model], base).map((x, i) => x - base[i]!);
  assert.ok(Math.abs(l1(outL1) / l1(delta) - 1) < 1e-4, `l1 ratio ${l1(outL1) / l1(delta)}`);
  const outL2 = applyMethod("dare", { density: 0.4, rescale: "l2", seed: 2 }, [model], base).map((x, i) => x - base[i]!);
  assert.ok(Math.abs(l2(outL2) / l2(delta) - 1) < 1e-4, `l2 ratio ${l2(outL2) / l2(delta)}`);
  const outInf = applyMethod("dare", { density: 0.4, rescale: "linf", seed: 2 }, [model], base).map((x, i) => x - base[i]!);
  const max = (xs: Float32Array): number => xs.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  assert.ok(Math.abs(max(outInf) / max(delta) - 1) < 1e-4);
  // The same entries are kept whatever the rescaling.
  const plain = applyMethod("dare", { density: 0.4, rescale: false, seed: 2 }, [model], base).map((x, i) => x - base[i]!);
  assert.deepEqual(outL1.map((x) => +(Math.abs(x) > 1e-9)), plain.map((x) => +(Math.abs(x) > 1e-9)));
  assert.throws(() => applyMethod("dare", { rescale: "l3" }, [model], base), /rescale must be/);
});

test("random methods: same seed, same model; another seed, another model", () => {
  const { base, model } = unitTask(10_000);
  for (const [method, params] of [
    ["dare", { density: 0.5, rescale: "l1" }],
    ["della", { density: 0.5, epsilon: 0.2, rescale: "l1" }],
    ["della", { density: 0.5, epsilon: 0.2 }],
  ] as const) {
    const a = applyMethod(method, { ...params, seed: 9 }, [model, model], base, "t", 100);
    assert.deepEqual(applyMethod(method, { ...params, seed: 9 }, [model, model], base, "t", 100), a, method);
    assert.notDeepEqual(applyMethod(method, { ...params, seed: 10 }, [model, model], base, "t", 100), a, method);
  }
});

test("della keeps density of the entries within 3σ, and its L1 rescale keeps the norm", () => {
  const row = 500;
  const rows = 200;
  const d = row * rows;
  const base = new Float32Array(d);
  const delta = normals(d, 21, 1);
  const out = applyMethod("della", { density: 0.4, epsilon: 0.2, rescale: "l1", consensus: "none", normalize: false }, [delta], base, "t", row);
  const kept = out.filter((x) => x !== 0).length;
  // The keep probabilities run from 0.3 to 0.5 in every row: mean 0.4; the variance of the count is Σ p(1 − p).
  let variance = 0;
  for (let r = 0; r < row; r++) {
    const p = 0.3 + (0.2 * r) / (row - 1);
    variance += rows * p * (1 - p);
  }
  assert.ok(Math.abs(kept - 0.4 * d) < 3 * Math.sqrt(variance), `kept ${kept} of ${d}`);
  const l1 = (xs: Float32Array): number => xs.reduce((a, b) => a + Math.abs(b), 0);
  assert.ok(Math.abs(l1(out) / l1(delta) - 1) < 1e-4, `l1 ratio ${l1(out) / l1(delta)}`);
});

test("breadcrumbs with rescale keeps the L1 norm of the task vector (true means l1)", () => {
  const delta = f32([0.1, -0.5, 0.3, 2.0, -0.2, 0.4, 0.05, -1.0, 0.7, 0.6]);
  const base = new Float32Array(10);
  // Keeps −0.5, 0.4, −1.0, 0.7, 0.6 (sum of magnitudes 3.2) out of 5.85.
  const scale = 5.85 / 3.2;
  const expected = [0, -0.5, 0, 0, 0, 0.4, 0, -1.0, 0.7, 0.6].map((x) => x * scale);
  close(applyMethod("breadcrumbs", { density: 0.5, gamma: 0.1, rescale: "l1" }, [delta], base), expected, 1e-6);
  close(applyMethod("breadcrumbs", { density: 0.5, gamma: 0.1, rescale: true }, [delta], base), expected, 1e-6);
});

test("the linear sparse merge does not divide by weights that sum to nearly zero (as mergekit)", () => {
  const base = f32([0, 0]);
  const out = applyMethod("dare", { density: 1, weights: [1, -1 + 1e-9], normalize: true }, [f32([1, 2]), f32([1, 1])], base);
  close(out, [1e-9, 1 + 1e-9], 1e-6);
});

test("della with density 1 keeps every entry whatever epsilon, as mergekit", () => {
  const { base, model } = unitTask(1000);
  const out = applyMethod("della", { density: 1, epsilon: 0.3, consensus: "none", normalize: false }, [model], base, "t", 100);
  assert.deepEqual(out, model);
});

test("arcee_fusion's threshold on a tensor over 1,000,000 elements comes from a seeded sample of 1,000,000, as mergekit samples", () => {
  const n = 1_500_000;
  // Values 0 .. 1 evenly: the exact quartiles are 0.25, 0.5, 0.75 and the threshold 0.5 + 1.5·0.5 = 1.25.
  const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % n) / (n - 1));
  const sampled = fusionThreshold(values, streamKey(0, "t", 0));
  // The sample's quartiles are off by about √(q(1 − q)/10⁶) ≈ 0.0005: 0.01 is many deviations.
  assert.ok(Math.abs(sampled - 1.25) < 0.01, `${sampled}`);
  assert.equal(fusionThreshold(values, streamKey(0, "t", 0)), sampled, "the same seed gives the same threshold");
  assert.notEqual(fusionThreshold(values, streamKey(1, "t", 0)), sampled, "another seed draws another sample");
  // Up to 1,000,000 elements every one is sorted: the elements at ⌊q·(n − 1)⌋.
  const small = Float32Array.from([5, 1, 4, 2, 3, 9, 0, 7]);
  assert.equal(fusionThreshold(small, 0), Math.fround(3 + 1.5 * (5 - 1)));
});
