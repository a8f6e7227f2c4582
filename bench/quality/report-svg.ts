/**
 * A grouped bar chart of the results, written by hand: one group per task (and the average), one bar
 * per method, accuracy on the y axis. The axis starts below the lowest bar (said on the axis) so the
 * differences between methods are visible.
 */
import type { QualityResults } from "./results.js";

export function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const COLOURS: Record<string, string> = { lower: "#9e9e9e", upper: "#424242" };
const MERGE_COLOURS = ["#8fb8de", "#f2b134", "#4f9d69", "#1b6b3a", "#c05a8a", "#7a2252", "#5d6fc2", "#d9572b"];

const fmt = (x: number): string => (Math.round(x * 10) / 10).toString();

export function resultsChart(results: QualityResults, title = "Test accuracy per task"): string {
  const groups = [...results.tasks, "average"];
  const rows = results.rows;
  const value = (r: (typeof rows)[number], g: string): number => (g === "average" ? r.average : r.test[g]!);
  const all = rows.flatMap((r) => groups.map((g) => value(r, g)));
  const lowest = Math.min(...all);
  const yMin = Math.max(0, Math.floor((lowest - 0.05) * 10) / 10);
  const yMax = 1;

  const barW = 14;
  const groupGap = 28;
  const groupW = rows.length * barW + groupGap;
  const left = 56;
  const top = 40;
  const plotH = 260;
  const plotW = groups.length * groupW;
  const legendRowH = 18;
  const legendCols = 2;
  const legendH = Math.ceil(rows.length / legendCols) * legendRowH + 10;
  const width = left + plotW + 20;
  const height = top + plotH + 40 + legendH;
  const y = (v: number): number => top + plotH - ((Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${xmlEscape(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="14" font-weight="bold">${xmlEscape(title)}</text>`);
  // Axis and grid lines every 10 points (5 when the range is narrow).
  const step = yMax - yMin <= 0.3 ? 0.05 : 0.1;
  for (let t = yMin; t <= yMax + 1e-9; t += step) {
    const yy = fmt(y(t));
    out.push(`<line x1="${left}" y1="${yy}" x2="${left + plotW}" y2="${yy}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end">${Math.round(t * 100)}%</text>`);
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#616161"/>`);
  const axisTitle = yMin > 0 ? `accuracy (axis starts at ${Math.round(yMin * 100)}%)` : "accuracy";
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${axisTitle}</text>`);
  let mergeIndex = 0;
  const colours = rows.map((r) => (r.kind === "merge" ? MERGE_COLOURS[mergeIndex++ % MERGE_COLOURS.length]! : COLOURS[r.kind]!));
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + groupGap / 2;
    rows.forEach((r, ri) => {
      const v = value(r, g);
      const x = x0 + ri * barW;
      const yy = y(v);
      out.push(`<rect x="${fmt(x)}" y="${fmt(yy)}" width="${barW - 2}" height="${fmt(top + plotH - yy)}" fill="${colours[ri]}"><title>${xmlEscape(`${r.label}, ${g}: ${(100 * v).toFixed(1)}%`)}</title></rect>`);
    });
    out.push(`<text x="${fmt(x0 + (rows.length * barW) / 2)}" y="${top + plotH + 16}" text-anchor="middle">${xmlEscape(g)}</text>`);
  });
  const legendTop = top + plotH + 34;
  rows.forEach((r, ri) => {
    const col = ri % legendCols;
    const row = Math.floor(ri / legendCols);
    const x = left + col * (plotW / legendCols);
    const yy = legendTop + row * legendRowH;
    out.push(`<rect x="${fmt(x)}" y="${yy}" width="12" height="12" fill="${colours[ri]}"/>`);
    const note = r.kind === "lower" ? " (lower bound)" : r.kind === "upper" ? " (upper bound)" : "";
    out.push(`<text x="${fmt(x + 18)}" y="${yy + 10}">${xmlEscape(r.label + note)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
