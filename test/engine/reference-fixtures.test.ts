/**
 * The reference merges: every case of test/fixtures/reference/manifest.json, built as the graph the
 * language lowers it to, executed, and compared with the authors' code's output within the
 * tolerance of the fixtures' README.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { NodeId } from "../../src/graph/graph.js";
import { executeGraph } from "../../src/engine/executor.js";
import { fixturesDir } from "../support/paths.js";
import { GraphBuilder } from "./graph-builder.js";
import { countMismatches, readAll } from "./compare.js";
import { tempDir } from "../support/temp-dir.js";

interface Case {
  case: string;
  family: string;
  out_dtype: "f32" | "bf16" | "f16";
  expression: string;
  expected: string;
}

type Models = Record<string, NodeId>;
type Build = (g: GraphBuilder, m: Models, tasks: NodeId[]) => NodeId;

/** Each case's expression, as the graph it lowers to. */
const builders: Record<string, Build> = {
  ties_global_d20: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.2, lambda: 1.0, scope: "global" }),
  ties_tensor_d30_w: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.3, lambda: 0.9, weights: [1.0, 0.5, 0.8] }),
  pcb_global_r10: (g, m, tasks) => g.merge("pcb", tasks, m.base!, { ratio: 0.1, lambda: 1.0, scope: "global" }),
  pcb_tensor_r20: (g, m, tasks) => g.merge("pcb", tasks, m.base!, { ratio: 0.2, lambda: 1.2 }),
  task_arithmetic_l04: (g, m, tasks) => g.merge("task_arithmetic", tasks, m.base!, { lambda: 0.4 }),
  linear_mean: (g, _m, tasks) => g.merge("linear", tasks, null),
  // base + 0.5 * (task_a - base) + 0.25 * (task_b - base)
  affine_expr: (g, m) => g.affine([[0.25, m.base!], [0.5, m.task_a!], [0.25, m.task_b!]]),
  tiny_bf16_ties_tensor_d50: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.5, lambda: 1.0 }),
  tiny_bf16_task_arithmetic_l05: (g, m, tasks) => g.merge("task_arithmetic", tasks, m.base!, { lambda: 0.5 }),
};

const reference = fixturesDir("reference");
const manifest = JSON.parse(readFileSync(join(reference, "manifest.json"), "utf8")) as { cases: Case[] };
const familyMembers: Record<string, string[]> = { tiny_f32: ["base", "task_a", "task_b", "task_c"], tiny_bf16: ["base", "task_a", "task_b"] };

test("every manifest case has a graph builder", () => {
  for (const c of manifest.cases) assert.ok(builders[c.case], `no graph for case ${c.case}`);
});

for (const c of manifest.cases) {
  test(`reference case ${c.case}: ${c.expression}`, async () => {
    const build = builders[c.case];
    assert.ok(build, `no graph for case ${c.case}`);
    const out = tempDir("mergelang-ref-");
    try {
      const g = new GraphBuilder();
      const m: Models = {};
      for (const name of familyMembers[c.family]!) m[name] = g.load(join(reference, "models", c.family, name));
      const tasks = Object.keys(m).filter((k) => k.startsWith("task_")).map((k) => m[k]!);
      const node = build(g, m, tasks);
      const target = join(out, c.case);
      g.save(node, target, m.base!, c.out_dtype);
      const result = await executeGraph(g.build());
      assert.equal(result.saved.length, 1);
      const mismatch = countMismatches(readAll(target), readAll(join(reference, c.expected)), c.out_dtype === "bf16");
      assert.ok(
        mismatch.bad <= 1e-4 * mismatch.total,
        `${mismatch.bad} of ${mismatch.total} elements outside the tolerance; worst ${mismatch.worst}`,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
