import { test } from "node:test";
import assert from "node:assert/strict";
import { applyMethod } from "../../src/engine/in-memory.js";

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);
const base = f32([1, 1, 1, 1, 1]);
// δa = [3, −1, 2, 0.5, −2], δb = [−1, −2, 2, −0.5, 1]
const a = f32([4, 0, 3, 1.5, -1]);
const b = f32([0, -1, 3, 0.5, 2]);

const plus = (xs: number[]): number[] => xs.map((x) => x + 1);

test("ties keeps every magnitude tied with the k-th largest", () => {
  // k = floor(5·0.4) = 2. δa: 2nd largest |δ| is 2, tied twice → keeps [3, 0, 2, 0, −2].
  // δb: 2nd largest is 2 → keeps [0, −2, 2, 0, 0]. Votes [3, −2, 4, 0, −2] → γ = [+, −, +, +, −].
  const out = applyMethod("ties", { density: 0.4 }, [a, b], base);
  assert.deepEqual([...out], plus([3, -2, 2, 0, -2]));
});

test("ties with weights: weighted election and weighted disjoint mean", () => {
  // density 1 keeps all. Votes (w = [1, 3]): [0, −7, 8, −1, 1] → γ = [+, −, +, −, +].
  const out = applyMethod("ties", { density: 1, weights: [1, 3] }, [a, b], base);
  assert.deepEqual([...out], plus([3, -1.75, 2, -0.5, 1]));
});

test("ties without normalize sums the agreeing weighted deltas, then scales by lambda", () => {
  const out = applyMethod("ties", { density: 1, weights: [1, 3], normalize: false, lambda: 0.5 }, [a, b], base);
  assert.deepEqual([...out], plus([3, -7, 8, -1.5, 3].map((x) => x * 0.5)));
});

test("ties with consensus count elects the sign of the count of signs", () => {
  // Sign counts [0, −2, 2, 0, 0] → γ = [+, −, +, +, +].
  const out = applyMethod("ties", { density: 1, weights: [1, 3], consensus: "count" }, [a, b], base);
  assert.deepEqual([...out], plus([3, -1.75, 2, 0.5, 1]));
});

test("ties with k = 0 trims everything and returns the base", () => {
  const out = applyMethod("ties", { density: 0.1 }, [a, b], base); // floor(5·0.1) = 0
  assert.deepEqual([...out], [...base]);
});

test("ties per-model densities", () => {
  // δa with density 1 keeps all; δb with density 0.2 keeps its largest |δ| = 2, tied: [0, −2, 2, 0, 0].
  // Votes [3, −3, 4, 0.5, −2] → γ = [+, −, +, +, −]; j1: a −1 and b −2 agree → −1.5.
  const out = applyMethod("ties", { density: [1, 0.2] }, [a, b], base);
  assert.deepEqual([...out], plus([3, -1.5, 2, 0.5, -2]));
});

test("ties refuses a density outside 0..1 and a weights list of the wrong length", () => {
  assert.throws(() => applyMethod("ties", { density: 1.5 }, [a, b], base), /density must be between 0 and 1/);
  assert.throws(() => applyMethod("ties", { weights: [1, 2, 3] }, [a, b], base), /weights has 3 values for 2 models/);
});

test("ties equals trim, elect and disjoint_mean composed by hand", () => {
  const da = a.map((x, i) => x - base[i]!);
  const db = b.map((x, i) => x - base[i]!);
  const ta = applyMethod("trim", { density: 0.4 }, [da]);
  const tb = applyMethod("trim", { density: 0.4 }, [db]);
  assert.deepEqual([...ta], [3, 0, 2, 0, -2]);
  const sign = applyMethod("elect", {}, [ta, tb]);
  assert.deepEqual([...sign], [1, -1, 1, 1, -1]);
  const mean = applyMethod("disjoint_mean", { sign: true }, [ta, tb, sign]);
  const elected = applyMethod("disjoint_mean", {}, [ta, tb]);
  assert.deepEqual([...mean], [...elected]);
  const ties = applyMethod("ties", { density: 0.4 }, [a, b], base);
  assert.deepEqual([...ties], [...mean].map((x, i) => x + base[i]!));
});

test("ties with unit weights and lambda 1 gives the bits of the general formula, signed zeros included", () => {
  // Deltas with exact zeros, ±0 bases and ties at the threshold.
  const n = 4000;
  const baseR = new Float32Array(n);
  const models = [0, 1, 2].map(() => new Float32Array(n));
  let s = 7;
  const next = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let j = 0; j < n; j++) {
    baseR[j] = j % 7 === 0 ? (j % 14 === 0 ? -0 : 0) : (next() - 0.5) * 0.1;
    for (const m of models) m[j] = next() < 0.3 ? baseR[j]! : baseR[j]! + Math.round((next() - 0.5) * 16) / 256;
  }
  const general = (w: number[], lambda: number, t: number[]): Float32Array => {
    const out = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const b = baseR[j]!;
      const k = models.map((m, i) => {
        const d = Math.fround(m[j]! - b);
        return d * +(Math.abs(d) >= t[i]!);
      });
      // As the method writes it, term by term (a sum started at 0 would turn −0 into +0).
      let v = w[0]! * k[0]! + w[1]! * k[1]! + w[2]! * k[2]!;
      v += +(v === 0);
      const a = k.map((x, i) => w[i]! * +(x * v > 0));
      const num = a[0]! * k[0]! + a[1]! * k[1]! + a[2]! * k[2]!;
      const den = a[0]! + a[1]! + a[2]!;
      out[j] = b + lambda * (num / (den + +(den === 0)));
    }
    return out;
  };
  const got = applyMethod("ties", { density: 0.3 }, models, baseR);
  // The thresholds the method selected: the k-th largest |δ| per model.
  const t = models.map((m) => {
    const mags = Float32Array.from(m, (x, j) => Math.abs(Math.fround(x - baseR[j]!))).sort();
    return mags[n - Math.floor(n * 0.3)]!;
  });
  const expected = general([1, 1, 1], 1, t);
  for (let j = 0; j < n; j++) assert.ok(Object.is(got[j], expected[j]), `element ${j}: ${got[j]} vs ${expected[j]}`);
});

test("agreement: \"weighted\" tests the sign of wᵢ·δᵢ (mergekit), for the unrolled and the blocked loop and the sparse methods", () => {
  // Weights [1, −1]: w·δ = δa, −δb = [3, −1, 2, 0.5, −2], [1, 2, −2, 0.5, −1]; votes [4, 1, 0, 1, −3]
  // → γ = [+, +, +, +, −]. Agreeing w·δ: [3+1, 2, 2, 0.5+0.5, −2−1]; weights of the agreeing: [0, −1, 1, 0, 0].
  const weighted = { density: 1, weights: [1, -1], agreement: "weighted" };
  // normalize divides by the agreeing weights (a sum of 0 divides by 1).
  const mixed = [4, 2, 2, 1, -3];
  const divisors = [0, -1, 1, 0, 0];
  const want = mixed.map((m, i) => 1 + m / (divisors[i] === 0 ? 1 : divisors[i]!));
  assert.deepEqual([...applyMethod("ties", weighted, [a, b], base)], want);
  // The default tests δ itself: a different result with a negative weight.
  assert.notDeepEqual([...applyMethod("ties", { density: 1, weights: [1, -1] }, [a, b], base)], want);
  // Nine models (the blocked loop): a, b and seven copies of the base (zero deltas agree with nothing).
  const many = [a, b, ...Array.from({ length: 7 }, () => base)];
  const weights9 = [1, -1, ...Array.from({ length: 7 }, () => 0.5)];
  assert.deepEqual([...applyMethod("ties", { density: 1, weights: weights9, agreement: "weighted" }, many, base)], want);
  // dare and breadcrumbs share the rule (density 1 keeps every entry; no rescaling).
  const sparse = { density: 1, weights: [1, -1], agreement: "weighted", consensus: "sum", normalize: true };
  assert.deepEqual([...applyMethod("dare", { ...sparse, rescale: false }, [a, b], base)], want);
  assert.deepEqual([...applyMethod("breadcrumbs", { ...sparse, gamma: 0 }, [a, b], base)], want);
  // count: the vote is Σ sign(wᵢ·δᵢ) = [2, 0, 0, 2, −2] → γ = [+, +, +, +, −], the same agreeing sets here.
  assert.deepEqual([...applyMethod("ties", { ...weighted, consensus: "count" }, [a, b], base)], want);
});
