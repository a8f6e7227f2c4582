/** `run --dry-run` output: one aligned table of what each save reads, writes and holds. */
import type { Graph } from "../graph/graph.js";
import { formatSize } from "../io/index.js";
import { planGraph } from "../engine/index.js";
import { displayPath } from "../util/display-path.js";
import { grouped } from "../util/grouped.js";

export function describePlan(graph: Graph, threads?: number): string {
  const plan = planGraph(graph, threads ? { threads } : {});
  if (plan.saves.length === 0) return "nothing to write: the recipe has no save(...)";
  const rows = [["output", "dtype", "tensors", "parameters", "shards", "passes", "read", "written", "peak memory"]];
  for (const p of plan.saves) {
    const passes = 1 + p.statistics.reduce((a, s) => a + (s.scope === "global" ? s.passes : 0), 0);
    rows.push([
      displayPath(p.path),
      p.dtype,
      String(p.tensors),
      grouped(p.parameters),
      String(p.shards),
      String(passes),
      formatSize(p.bytesRead),
      formatSize(p.bytesWritten),
      "~" + formatSize(p.peakMemoryBytes),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  // Per-tensor statistics run while each tensor is written (their re-reads are in "read"); only
  // whole-model passes come before writing.
  const stats = plan.saves.flatMap((p) =>
    p.statistics.filter((s) => s.scope === "global").map((s) => `  ${s.method} at ${displayPath(s.origin.file)}:${s.origin.line}:${s.origin.column}: ${s.passes} pass${s.passes === 1 ? "" : "es"}`),
  );
  if (stats.length) lines.push("", "whole-model statistics before writing (scope: \"global\"):", ...stats);
  lines.push("", `threads: ${plan.threads}${plan.otherEffects ? `; ${plan.otherEffects} other statement${plan.otherEffects === 1 ? "" : "s"} (reports, prints) are not evaluated by a dry run` : ""}`);
  return lines.join("\n");
}
