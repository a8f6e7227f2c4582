import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { inspectInterference } from "../../src/inspect/inspect.js";
import type { Estimate, GroupMetrics, Report } from "../../src/inspect/report.js";
import { fixturesDir } from "../support/paths.js";

const family = (name: string, tasks: string[]) => {
  const dir = fixturesDir("reference", "models", name);
  return { base: join(dir, "base"), models: tasks.map((t) => join(dir, t)) };
};
const F32 = family("tiny_f32", ["task_a", "task_b", "task_c"]);
const BF16 = family("tiny_bf16", ["task_a", "task_b"]);

/** The estimates the intervals must cover: TIES shares, cosine and each task's norm. */
function estimates(m: GroupMetrics): [string, Estimate][] {
  return [
    ["redundancy", m.redundancy],
    ["sign_conflict", m.sign_conflict],
    ["lost_to_election", m.lost_to_election],
    ["cosine", m.cosine],
    ...m.redundancy_by_task.map((e, i): [string, Estimate] => [`redundancy_by_task[${i}]`, e]),
    ...m.norm.map((e, i): [string, Estimate] => [`norm[${i}]`, e]),
  ];
}

interface Coverage {
  checked: number;
  covered: number;
  misses: string[];
}

function coverage(exact: Report, sampled: Report[], which: "total" | "groups"): Coverage {
  const c: Coverage = { checked: 0, covered: 0, misses: [] };
  for (const s of sampled) {
    const pairs: [string, GroupMetrics, GroupMetrics][] =
      which === "total" ? [["total", exact.total, s.total]] : exact.groups.map((g, i) => [g.key, g.metrics, s.groups[i]!.metrics]);
    for (const [key, e, m] of pairs) {
      const want = estimates(e);
      estimates(m).forEach(([name, est], k) => {
        const truth = want[k]![1].value;
        if (truth === null || !est.ci || est.ci[0] === est.ci[1]) return; // read whole: nothing to cover
        c.checked++;
        if (truth >= est.ci[0] && truth <= est.ci[1]) c.covered++;
        else c.misses.push(`seed ${s.seed} ${key}.${name}: ${truth} outside [${est.ci[0]}, ${est.ci[1]}]`);
      });
    }
  }
  return c;
}

test("sampled intervals cover the exact values on the reference models (95% intervals, ten seeds)", async () => {
  const exact = await inspectInterference({ ...F32, density: 0.2 });
  const sampled: Report[] = [];
  for (let seed = 0; seed < 10; seed++) {
    sampled.push(await inspectInterference({ ...F32, density: 0.2, mode: "sampled", seed, sampleElements: 20_000 }));
  }
  for (const s of sampled) {
    assert.equal(s.mode, "sampled");
    assert.deepEqual(s.groups.map((g) => g.key), exact.groups.map((g) => g.key));
    assert.ok(s.total.sampled < exact.total.elements / 5, `read ${s.total.sampled} of ${exact.total.elements} elements`);
  }
  const totals = coverage(exact, sampled, "total");
  const groups = coverage(exact, sampled, "groups");
  assert.ok(totals.checked >= 60 && groups.checked >= 300, `checked ${totals.checked} totals, ${groups.checked} group values`);
  // Nominal 95%: allow sampling noise, but not intervals that are systematically too narrow.
  assert.ok(totals.covered / totals.checked >= 0.85, `totals covered ${totals.covered}/${totals.checked}:\n${totals.misses.join("\n")}`);
  assert.ok(groups.covered / groups.checked >= 0.88, `groups covered ${groups.covered}/${groups.checked}:\n${groups.misses.slice(0, 20).join("\n")}`);
  // ... nor so wide that covering means nothing: shares pinned to within a few points.
  for (const s of sampled) {
    for (const [name, e] of estimates(s.total).slice(0, 3)) {
      assert.ok(e.ci![1] - e.ci![0] < 0.02, `seed ${s.seed}: total ${name} interval ${e.ci} is too wide to be useful`);
    }
  }
});

test("sampled mode reads a small, seeded subset, and the same seed reads the same one", async () => {
  const size = [F32.base, ...F32.models].reduce((s, m) => s + statSync(join(m, "model.safetensors")).size, 0);
  const a = await inspectInterference({ ...F32, mode: "sampled", seed: 7, sampleElements: 10_000 });
  const b = await inspectInterference({ ...F32, mode: "sampled", seed: 7, sampleElements: 10_000 });
  const c = await inspectInterference({ ...F32, mode: "sampled", seed: 8, sampleElements: 10_000 });
  assert.ok(a.bytesRead < size / 5, `read ${a.bytesRead} of ${size} bytes`);
  assert.deepEqual(a.total, b.total);
  assert.notDeepEqual(a.total.sign_conflict, c.total.sign_conflict);
  assert.equal(a.seed, 7);
  assert.equal(a.confidence, 0.95);
});

test("with a budget covering every element, sampled mode equals exact mode with zero-width intervals", async () => {
  const exact = await inspectInterference({ ...F32, density: 0.3 });
  const whole = await inspectInterference({ ...F32, density: 0.3, mode: "sampled", sampleElements: 10_000_000 });
  assert.equal(whole.total.sampled, exact.total.elements);
  const e = estimates(exact.total);
  estimates(whole.total).forEach(([name, est], k) => {
    assert.ok(Math.abs(est.value! - e[k]![1].value!) < 1e-12, `${name}: ${est.value} vs ${e[k]![1].value}`);
    assert.equal(est.ci![0], est.ci![1], `${name} read whole has no uncertainty`);
  });
});

test("bf16 models: exact mode runs and the sampled totals cover it", async () => {
  const exact = await inspectInterference({ ...BF16, density: 0.5 });
  assert.equal(exact.labels.length, 2);
  assert.ok(exact.total.sign_conflict.value! > 0 && exact.total.sign_conflict.value! < 1);
  const sampled = [];
  for (let seed = 0; seed < 6; seed++) {
    sampled.push(await inspectInterference({ ...BF16, density: 0.5, mode: "sampled", seed, sampleElements: 20_000 }));
  }
  const totals = coverage(exact, sampled, "total");
  assert.ok(totals.covered / totals.checked >= 0.8, `covered ${totals.covered}/${totals.checked}:\n${totals.misses.join("\n")}`);
});

test("the PCB view in sampled mode estimates the exact dropped share and scale shares", async () => {
  const exact = await inspectInterference({ ...F32, pcb: { ratio: 0.2 } });
  const s = await inspectInterference({ ...F32, pcb: { ratio: 0.2 }, mode: "sampled", sampleElements: 40_000 });
  assert.ok(Math.abs(s.total.pcb!.dropped.value! - exact.total.pcb!.dropped.value!) < 0.01);
  exact.total.pcb!.scale_share.forEach((e, i) => {
    assert.ok(Math.abs(s.total.pcb!.scale_share[i]!.value! - e.value!) < 0.05, `scale share ${i}`);
  });
  assert.equal(s.total.pcb!.beta_spread.ci, undefined, "β spread rests on extrapolated extremes: no interval claimed");
});
