/** `run --dry-run` output: one aligned table of what each save reads, writes and holds. */
import { relative } from "node:path";
import type { Graph } from "../graph/graph.js";
import { formatSize } from "../io/index.js";
import { planGraph } from "../runner/plan.js";

export function describePlan(graph: Graph): string {
  const plans = planGraph(graph);
  if (plans.length === 0) return "nothing to write: the recipe has no save(...)";
  const rows = [["output", "dtype", "tensors", "parameters", "passes", "read", "written", "peak memory"]];
  for (const p of plans) {
    rows.push([
      relative(process.cwd(), p.effect.path) || p.effect.path,
      p.effect.dtype,
      String(p.tensors),
      p.parameters.toLocaleString("en-US"),
      String(p.passes),
      formatSize(p.bytesRead),
      formatSize(p.bytesWritten),
      "~" + formatSize(p.peakBytes),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const lines = rows.map((r) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const inputs = [...new Set(plans.flatMap((p) => p.models))];
  lines.push("", `models read: ${inputs.map((m) => relative(process.cwd(), m) || m).join(", ")}`);
  return lines.join("\n");
}
