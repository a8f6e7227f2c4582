/** The reference fixture cases as graphs (as test/engine builds them), run through any backend. */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../src/backends/backend.js";
import { executeGraph, type ExecuteOptions } from "../../src/engine/executor.js";
import type { NodeId } from "../../src/graph/graph.js";
import { fixturesDir } from "../support/paths.js";
import { GraphBuilder } from "../engine/graph-builder.js";
import { readAll } from "../engine/compare.js";
import { tempDir } from "../support/temp-dir.js";

export interface Case {
  case: string;
  family: string;
  out_dtype: "f32" | "bf16" | "f16";
  expression: string;
  expected: string;
}

type Models = Record<string, NodeId>;
export type Build = (g: GraphBuilder, m: Models, tasks: NodeId[]) => NodeId;

/** Each manifest case's expression, as the graph the language lowers it to. */
export const builders: Record<string, Build> = {
  ties_global_d20: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.2, lambda: 1.0, scope: "global" }),
  ties_tensor_d30_w: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.3, lambda: 0.9, weights: [1.0, 0.5, 0.8] }),
  pcb_global_r10: (g, m, tasks) => g.merge("pcb", tasks, m.base!, { ratio: 0.1, lambda: 1.0, scope: "global" }),
  pcb_tensor_r20: (g, m, tasks) => g.merge("pcb", tasks, m.base!, { ratio: 0.2, lambda: 1.2 }),
  task_arithmetic_l04: (g, m, tasks) => g.merge("task_arithmetic", tasks, m.base!, { lambda: 0.4 }),
  linear_mean: (g, _m, tasks) => g.merge("linear", tasks, null),
  affine_expr: (g, m) => g.affine([[0.25, m.base!], [0.5, m.task_a!], [0.25, m.task_b!]]),
  tiny_bf16_ties_tensor_d50: (g, m, tasks) => g.merge("ties", tasks, m.base!, { density: 0.5, lambda: 1.0 }),
  tiny_bf16_task_arithmetic_l05: (g, m, tasks) => g.merge("task_arithmetic", tasks, m.base!, { lambda: 0.5 }),
};

export const referenceDir = fixturesDir("reference");
export const manifest = JSON.parse(readFileSync(join(referenceDir, "manifest.json"), "utf8")) as { cases: Case[] };
const familyMembers: Record<string, string[]> = { tiny_f32: ["base", "task_a", "task_b", "task_c"], tiny_bf16: ["base", "task_a", "task_b"] };

/** Runs `build` over a fixture family's models and reads the saved tensors back. */
export async function runOnFamily(
  family: string,
  build: Build,
  dtype: "f32" | "bf16" | "f16",
  backend: Backend | undefined,
  opts: ExecuteOptions = {},
): Promise<Map<string, Float32Array>> {
  const out = tempDir("mergelang-backend-");
  try {
    const g = new GraphBuilder();
    const m: Models = {};
    for (const name of familyMembers[family]!) m[name] = g.load(join(referenceDir, "models", family, name));
    const tasks = Object.keys(m).filter((k) => k.startsWith("task_")).map((k) => m[k]!);
    const target = join(out, "merged");
    g.save(build(g, m, tasks), target, m.base!, dtype);
    const result = await executeGraph(g.build(), { ...opts, backend });
    if (result.saved.length !== 1) throw new Error(`expected one save, got ${result.saved.length}`);
    return readAll(target);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function expectedOf(c: Case): Map<string, Float32Array> {
  return readAll(join(referenceDir, c.expected));
}
