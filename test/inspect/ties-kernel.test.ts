/** The TIES totals kernel against a plain per-element computation, for 2, 3 (its fast path) and 4 tasks. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { VariableLayout } from "../../src/inspect/layout.js";
import { tiesBlockTotals } from "../../src/inspect/ties-kernel.js";
import { mulberry32 } from "../../src/util/random.js";

/** Deltas with exact zeros, repeated magnitudes (ties at the threshold) and both signs. */
function deltas(tasks: number, length: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: tasks }, () =>
    Float32Array.from({ length }, () => {
      const r = rand();
      if (r < 0.1) return 0;
      if (r < 0.2) return rand() < 0.5 ? -0.5 : 0.5;
      return (rand() - 0.5) * 2;
    }),
  );
}

function plainTotals(layout: VariableLayout, d: Float32Array[], q: number[]): Float64Array {
  const rows = new Float64Array(layout.size);
  const n = d.length;
  const length = d[0]!.length;
  rows[layout.count] = length;
  for (let e = 0; e < length; e++) {
    const kept = d.map((x, i) => (Math.abs(x[e]!) >= q[i]! ? x[e]! : 0));
    for (let i = 0; i < n; i++) {
      const x = d[i]![e]!;
      rows[layout.l1(i)]! += Math.abs(x);
      rows[layout.sumsq(i)]! += x * x;
      if (!(Math.abs(x) >= q[i]!)) rows[layout.removed(i)]! += Math.abs(x);
      for (let j = i + 1; j < n; j++) rows[layout.dot(i, j)]! += x * d[j]![e]!;
    }
    if (!(kept.some((v) => v > 0) && kept.some((v) => v < 0))) continue;
    rows[layout.conflict]! += 1;
    const elected = kept.reduce((s, v, i) => (Math.abs(d[i]![e]!) >= q[i]! ? s + d[i]![e]! : s), 0) >= 0;
    kept.forEach((v, i) => {
      if (v !== 0 && v > 0 !== elected) rows[layout.lost(i)]! += Math.abs(v);
    });
  }
  return rows;
}

for (const tasks of [2, 3, 4]) {
  test(`${tasks} tasks: every total matches the element-by-element computation, across chunk boundaries`, () => {
    const length = 20_011; // more than two chunks, odd
    const d = deltas(tasks, length, 7 + tasks);
    const q = d.map((_, i) => [0.5, 0.9, 0, 0.3][i]!);
    const layout = new VariableLayout(tasks, false);
    const rows = new Float64Array(layout.size);
    tiesBlockTotals(layout, d, [0, length], q, rows);
    const want = plainTotals(layout, d, q);
    assert.ok(want[layout.conflict]! > 0, "the data has sign conflicts");
    for (let v = 0; v < layout.size; v++) {
      assert.ok(Math.abs(rows[v]! - want[v]!) <= 1e-9 * Math.max(1, Math.abs(want[v]!)), `variable ${v}: ${rows[v]} vs ${want[v]}`);
    }
  });
}
