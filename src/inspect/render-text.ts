/** The report as an aligned plain-text table (CLI output, notebook text/plain). */
import { count, formatEstimate, formatNorm } from "./format.js";
import { worstRows } from "./highlights.js";
import { type GroupMetrics, metricColumns, type Report } from "./report.js";

export const WORST_MARK = "!";

/** "density 0.2 · by layer · exact" */
export function reportSettings(report: Report): string {
  const mode = report.mode === "exact" ? "exact" : `sampled (seed ${report.seed}, ${Math.round((report.confidence ?? 0) * 100)}% intervals)`;
  const pcb = report.pcb ? ` · PCB ratio ${report.pcb.ratio}` : "";
  return `density ${report.density} · by ${report.by} · ${mode}${pcb}`;
}

export function reportTitle(report: Report): string {
  return `Interference of ${report.labels.join(", ")} · ${reportSettings(report)}`;
}

export function renderText(report: Report): string {
  const columns = metricColumns(report);
  const worst = columns.map((c) => worstRows(report, c));
  const header = ["group", "tensors", "elements", ...columns.map((c) => c.title), ...report.labels.map((l) => `norm ${l}`)];
  const row = (label: string, m: GroupMetrics, index: number | null): string[] => [
    label,
    count(m.tensors),
    count(m.elements),
    ...columns.map((c, k) => formatEstimate(c, c.pick(m)) + (index !== null && worst[k]!.has(index) ? WORST_MARK : " ")),
    ...m.norm.map(formatNorm),
  ];
  const body = report.groups.map((g, i) => row(g.label, g.metrics, i));
  const total = row("total", report.total, null);
  const table = [header, ...body, total];
  const widths = header.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  // The label column reads left to right; numbers line up on the right. Headers over marked cells
  // get the same trailing space so that titles and digits stay aligned.
  const markCol = (k: number): boolean => k >= 3 && k < 3 + columns.length;
  const line = (r: string[], isHeader: boolean): string =>
    r
      .map((cell, k) => {
        if (k === 0) return cell.padEnd(widths[k]!);
        const text = isHeader && markCol(k) ? cell + " " : cell;
        return text.padStart(widths[k]! + (isHeader && markCol(k) ? 0 : 0));
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [reportTitle(report), "", line(header, true), rule, ...body.map((r) => line(r, false)), rule, line(total, false)];
  const notes: string[] = [];
  if (worst.some((w) => w.size > 0)) {
    notes.push(`${WORST_MARK} the worst ${10}% of rows in a column (highest shares, lowest cosine)`);
  }
  if (report.mode === "sampled") {
    notes.push(
      `± half the ${Math.round((report.confidence ?? 0.95) * 100)}% interval; ${count(report.total.sampled)} of ${count(report.total.elements)} elements read per model`,
    );
  }
  if (report.skipped.length) notes.push(`skipped ${report.skipped.length} tensor(s): ${report.skipped.map((s) => s.tensor).join(", ")}`);
  return [...out, ...(notes.length ? ["", ...notes] : [])].join("\n") + "\n";
}
