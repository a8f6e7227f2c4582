import { test } from "node:test";
import assert from "node:assert/strict";
import { CmaEs, reflectUnit } from "../../src/search/cmaes.js";
import { symmetricEigen } from "../../src/search/symmetric-eigen.js";

const sphere = (x: readonly number[]): number => x.reduce((a, v) => a + v * v, 0);
const ellipsoid = (x: readonly number[]): number => x.reduce((a, v, i) => a + 1e6 ** (i / (x.length - 1)) * v * v, 0);
const rosenbrock = (x: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i]! ** 2 - x[i + 1]!) ** 2 + (x[i]! - 1) ** 2;
  return s;
};
const rastrigin = (x: readonly number[]): number => 10 * x.length + x.reduce((a, v) => a + v * v - 10 * Math.cos(2 * Math.PI * v), 0);

/** Evaluations until f < target (or the budget runs out), and the best value. */
function minimise(f: (x: readonly number[]) => number, cma: CmaEs, target: number, budget: number): { evaluations: number; best: number } {
  let evaluations = 0;
  let best = Infinity;
  while (evaluations < budget) {
    const points = cma.ask();
    const values = points.map(f);
    evaluations += values.length;
    best = Math.min(best, ...values);
    cma.tell(values);
    if (best < target) break;
  }
  return { evaluations, best };
}

test("symmetric eigen-decomposition reconstructs the matrix", () => {
  const m = [
    [4, 1, 0.5],
    [1, 3, -0.2],
    [0.5, -0.2, 2],
  ];
  const { values, vectors } = symmetricEigen(m);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += vectors[i]![k]! * values[k]! * vectors[j]![k]!;
      assert.ok(Math.abs(s - m[i]![j]!) < 1e-10, `entry ${i},${j}: ${s} vs ${m[i]![j]}`);
    }
  }
});

// Published behaviour (Hansen's tutorial and purecma, default population): about 1,300 evaluations to
// reach 1e-10 on the 10-D sphere from σ = 0.5 at x = 1; Rosenbrock 10-D in roughly 6,000–8,000;
// the 10-D ellipsoid (condition 1e6) in about 6,000. The bounds below leave a 1.5–2× margin.
test("CMA-ES on the 10-D sphere converges at the published rate", () => {
  const cma = new CmaEs({ dimension: 10, seed: 1, sigma: 0.5, mean: new Array(10).fill(1), bounded: false, restarts: false });
  const r = minimise(sphere, cma, 1e-10, 10_000);
  assert.ok(r.best < 1e-10, `best ${r.best}`);
  assert.ok(r.evaluations > 700 && r.evaluations < 2_500, `${r.evaluations} evaluations`);
});

test("CMA-ES learns the 10-D ellipsoid's scaling (condition 1e6)", () => {
  const cma = new CmaEs({ dimension: 10, seed: 2, sigma: 0.5, mean: new Array(10).fill(1), bounded: false, restarts: false });
  const r = minimise(ellipsoid, cma, 1e-8, 20_000);
  assert.ok(r.best < 1e-8, `best ${r.best}`);
  assert.ok(r.evaluations < 12_000, `${r.evaluations} evaluations`);
});

test("CMA-ES solves the 10-D Rosenbrock function", () => {
  const cma = new CmaEs({ dimension: 10, seed: 3, sigma: 0.5, mean: new Array(10).fill(0), bounded: false, restarts: false });
  const r = minimise(rosenbrock, cma, 1e-8, 30_000);
  assert.ok(r.best < 1e-8, `best ${r.best}`);
  assert.ok(r.evaluations < 16_000, `${r.evaluations} evaluations`);
});

test("IPOP restarts find Rastrigin's global minimum where one run stalls in a local one", () => {
  // Rastrigin on [-5.12, 5.12]^5, searched in the unit cube.
  const f = (u: readonly number[]): number => rastrigin(u.map((v) => -5.12 + 10.24 * v));
  const cma = new CmaEs({ dimension: 5, seed: 4, sigma: 0.3, bounded: true });
  const r = minimise(f, cma, 1e-6, 200_000);
  assert.ok(r.best < 1e-6, `best ${r.best} after ${r.evaluations} evaluations`);
  assert.ok(cma.restartCount >= 1, "the global minimum needed at least one restart");
});

test("same seed, same trajectory; another seed, another", () => {
  const run = (seed: number): number[][] => {
    const cma = new CmaEs({ dimension: 3, seed, sigma: 0.3, bounded: true });
    const seen: number[][] = [];
    for (let g = 0; g < 5; g++) {
      const points = cma.ask();
      seen.push(...points);
      cma.tell(points.map(sphere));
    }
    return seen;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test("bounded points always lie in the unit cube, even with a step far larger than it", () => {
  const cma = new CmaEs({ dimension: 4, seed: 5, sigma: 0.9, bounded: true });
  // The optimum sits at a corner outside the cube: the search presses against the bounds.
  const f = (x: readonly number[]): number => x.reduce((a, v) => a + (v - 3) ** 2, 0);
  for (let g = 0; g < 60; g++) {
    const points = cma.ask();
    for (const p of points) for (const v of p) assert.ok(v >= 0 && v <= 1, `point ${p}`);
    cma.tell(points.map(f));
  }
  assert.ok(cma.best!.point.every((v) => v > 0.9), `best ${cma.best!.point}`);
});

test("reflection folds any number into [0, 1]", () => {
  assert.equal(reflectUnit(0.25), 0.25);
  assert.equal(reflectUnit(1.25), 0.75);
  assert.equal(reflectUnit(-0.25), 0.25);
  assert.ok(Math.abs(reflectUnit(2.1) - 0.1) < 1e-12);
});

test("NaN values rank last and never become the best", () => {
  const cma = new CmaEs({ dimension: 2, seed: 6, sigma: 0.2, bounded: true });
  const points = cma.ask();
  cma.tell(points.map((p, i) => (i === 0 ? NaN : sphere(p))));
  assert.notDeepEqual(cma.best!.point, points[0]);
});
