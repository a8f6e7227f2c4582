/** The report as an aligned plain-text table (CLI output, notebook text/plain). */
import { count, formatEstimate, formatNorm } from "./format.js";
import { WORST_SHARE, worstRows } from "./highlights.js";
import { type GroupMetrics, metricColumns, type Report } from "./report.js";
import { FAST_RANK } from "./spectral.js";

export const WORST_MARK = "!";

/** Whether a sampled report read every element (small models): its values are then exact. */
export function readEverything(report: Report): boolean {
  return report.mode === "exact" || report.total.sampled >= report.total.elements;
}

/** "density 0.2 · by layer · exact"; a PCB report names its ratio first (its TIES columns trim at the density). */
export function reportSettings(report: Report): string {
  const mode = readEverything(report)
    ? report.mode === "exact"
      ? "exact"
      : "exact (the sample read every element)"
    : `sampled (seed ${report.seed}, ${Math.round((report.confidence ?? 0) * 100)}% intervals)`;
  const params = report.pcb ? `PCB ratio ${report.pcb.ratio} · TIES columns at density ${report.density}` : `density ${report.density}`;
  const spectral = report.spectral ? ` · spectral: ${report.spectral.mode === "exact" ? "top r/T" : `top ${FAST_RANK}`} of ${report.spectral.matrices} matrices` : "";
  return `${params} · by ${report.by} · ${mode}${spectral}`;
}

export function reportTitle(report: Report): string {
  return `Interference of ${report.labels.join(", ")} · ${reportSettings(report)}`;
}

export function renderText(report: Report): string {
  const columns = metricColumns(report);
  const worst = columns.map((c) => worstRows(report, c));
  // Marked columns end in a mark or a space; their titles get the same trailing space, so titles
  // and digits line up on the right.
  const header = [
    "group",
    "tensors",
    "elements",
    ...columns.map((c) => c.title + " "),
    ...report.labels.map((l) => `norm ${l}`),
  ];
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
  // The label column reads left to right; numbers line up on the right.
  const line = (r: string[]): string => r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out = [reportTitle(report), "", line(header), rule, ...body.map(line), rule, line(total)];
  const notes: string[] = [];
  if (worst.some((w) => w.size > 0)) {
    notes.push(`${WORST_MARK} the worst ${Math.round(WORST_SHARE * 100)}% of rows in a column (highest shares, lowest cosine)`);
  }
  if (!readEverything(report)) {
    notes.push(
      `± half the ${Math.round((report.confidence ?? 0.95) * 100)}% interval; ${count(report.total.sampled)} of ${count(report.total.elements)} elements read per model`,
    );
  }
  if (report.skipped.length) notes.push(`skipped ${report.skipped.length} tensor(s): ${report.skipped.map((s) => s.tensor).join(", ")}`);
  return [...out, ...(notes.length ? ["", ...notes] : [])].join("\n") + "\n";
}
