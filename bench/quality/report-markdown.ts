/** The results as Markdown tables, laid out like the papers' (per-task accuracy, average, normalised). */
import type { GridResult } from "./experiment.js";
import { describePoint } from "./recipes.js";
import type { QualityResults } from "./results.js";

const pct = (x: number): string => (100 * x).toFixed(1);

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function resultsTable(results: QualityResults): string {
  const head = ["Method", "Setting (validation)", ...results.tasks, "Avg", "Norm"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? " --- " : " ---: ")).join("|")}|`];
  for (const r of results.rows) {
    const note = r.kind === "lower" ? " (lower bound)" : r.kind === "upper" ? " (upper bound)" : "";
    const cells = [escapeCell(r.label + note), escapeCell(r.setting), ...results.tasks.map((t) => pct(r.test[t]!)), pct(r.average), pct(r.normalised)];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

/** Every grid point's validation accuracy, per method. */
export function gridTable(label: string, grid: GridResult[], tasks: readonly string[]): string {
  const head = ["Setting", ...tasks, "Avg"];
  const lines = [`**${escapeCell(label)}**`, "", `| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  for (const g of grid) lines.push(`| ${[describePoint(g.point), ...tasks.map((t) => pct(g.validation[t]!)), pct(g.validationAverage)].join(" | ")} |`);
  return lines.join("\n") + "\n";
}
