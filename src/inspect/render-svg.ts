/**
 * The heat map: one row per group (`<g class="row" data-group="...">`), one column per metric, a
 * whole-model row below, and each task's norm as a small bar. Self-contained SVG (valid XML, own
 * styles, no external fonts), standalone for Jupyter's image/svg+xml and inlined in the HTML view.
 */
import { decimal, formatInterval, formatMetric, percent } from "./format.js";
import { columnScale, WORST_SHARE, worstRows } from "./highlights.js";
import { rampColour, RAMP, taskColour, textOn } from "./palette.js";
import { type Estimate, type GroupMetrics, metricColumns, type Report } from "./report.js";
import { reportTitle } from "./render-text.js";

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

const ROW = 22;
const GAP = 2;
const CELL = 96;
const NORM_PER_TASK = 52;
const HEADER = 46;
const CHAR = 7; // approximate advance of a 12px sans-serif character
const FONT = `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`;

/** Styles scoped by class; the HTML view overrides the two text colours from its own theme. */
const STYLE = `
.ml-heatmap text { font-family: ${FONT}; font-size: 12px; }
.ml-heatmap .ml-fg { fill: #2b2b2b; }
.ml-heatmap .ml-muted { fill: #6b6b6b; }
.ml-heatmap .ml-rule { stroke: #8a8a8a; stroke-opacity: 0.5; }
.ml-heatmap .ml-small { font-size: 10px; }
.ml-heatmap .ml-value { font-size: 11px; font-variant-numeric: tabular-nums; }
.ml-heatmap .ml-worst { stroke-width: 2; }
@media (prefers-color-scheme: dark) {
  .ml-heatmap .ml-fg { fill: #e6e6e6; }
  .ml-heatmap .ml-muted { fill: #a8a8a8; }
}`;

export interface SvgOptions {
  /** id of the <svg> element (also prefixes the gradient id, so two maps on one page do not clash). */
  id?: string;
  /** For inlining in HTML, where the parser supplies the SVG namespace: leaves out `xmlns`. */
  inline?: boolean;
  /** A heading drawn above the map (a standalone file names its recipe and line here), and its <title>. */
  title?: string;
}

const TITLE_HEIGHT = 26;

export function renderSvg(report: Report, options: SvgOptions = {}): string {
  const columns = metricColumns(report);
  const scales = columns.map((c) => columnScale(report, c));
  const worst = columns.map((c) => worstRows(report, c));
  const labels = [...report.groups.map((g) => g.label), "total"];
  const labelWidth = Math.max(70, ...labels.map((l) => l.length * CHAR)) + 16;
  const tasks = report.labels.length;
  const normWidth = Math.max(132, tasks * NORM_PER_TASK);
  const maxNorm = Math.max(1e-30, ...[...report.groups.map((g) => g.metrics), report.total].flatMap((m) => m.norm.map((e) => e.value ?? 0)));
  // Norm bars share one scale per report; the whole-model row has its own (its norms are larger).
  const groupNormMax = Math.max(1e-30, ...report.groups.flatMap((g) => g.metrics.norm.map((e) => e.value ?? 0)));
  const width = labelWidth + columns.length * (CELL + GAP) + normWidth + 12;
  const rowsTop = HEADER;
  const totalTop = rowsTop + report.groups.length * (ROW + GAP) + 8;
  const legendTop = totalTop + ROW + 18;
  const titled = options.title !== undefined;
  const height = legendTop + 34 + (titled ? TITLE_HEIGHT : 0);
  const out: string[] = [];
  const idAttr = options.id ? ` id="${xmlEscape(options.id)}"` : "";
  out.push(
    `<svg${options.inline ? "" : ` xmlns="http://www.w3.org/2000/svg"`}${idAttr} class="ml-heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xmlEscape(
      `Interference heat map: ${report.groups.length} ${report.by === "layer" ? "groups" : "tensors"} by ${columns.length} metrics`,
    )}">`,
  );
  out.push(`<style>${STYLE}</style>`);
  out.push(`<title>${xmlEscape(options.title ? `${options.title} · ${reportTitle(report)}` : reportTitle(report))}</title>`);
  if (titled) {
    out.push(`<text class="ml-fg" x="8" y="18" font-size="14" font-weight="600">${xmlEscape(options.title!)}</text>`);
    out.push(`<g transform="translate(0,${TITLE_HEIGHT})">`);
  }

  // Column headers with the span each column's colours cover.
  columns.forEach((c, k) => {
    const x = labelWidth + k * (CELL + GAP) + CELL / 2;
    const s = scales[k]!;
    out.push(
      `<g class="col-head" data-metric="${c.id}"><title>${xmlEscape(`${c.title}: ${c.describe}. Colours span ${formatMetric(c, s.low)} to ${formatMetric(c, s.high)}; ${c.worse === "high" ? "higher" : "lower"} is worse.`)}</title>` +
        `<text class="ml-fg" x="${x}" y="18" text-anchor="middle" font-weight="600">${xmlEscape(c.title)}</text>` +
        `<text class="ml-muted ml-small" x="${x}" y="34" text-anchor="middle">${xmlEscape(`${formatMetric(c, s.low)} – ${formatMetric(c, s.high)}`)}</text></g>`,
    );
  });
  const normX = labelWidth + columns.length * (CELL + GAP) + 8;
  out.push(`<text class="ml-fg" x="${normX}" y="18" font-weight="600">task norms ‖δ‖</text>`);
  out.push(
    `<g class="norm-key">${report.labels
      .map((l, i) => `<rect x="${normX + i * NORM_PER_TASK}" y="27" width="8" height="8" fill="${taskColour(i)}"/><text class="ml-muted ml-small" x="${normX + i * NORM_PER_TASK + 11}" y="35">${xmlEscape(truncate(l, 6))}</text>`)
      .join("")}</g>`,
  );

  const row = (label: string, m: GroupMetrics, y: number, index: number | null, normMax: number, attrs: string): string => {
    const parts = [`<g ${attrs} transform="translate(0,${y})">`];
    parts.push(`<text class="ml-fg" x="8" y="${ROW / 2 + 4}">${xmlEscape(label)}</text>`);
    columns.forEach((c, k) => {
      const e = c.pick(m);
      const x = labelWidth + k * (CELL + GAP);
      const v = e?.value ?? null;
      const fill = v === null ? "none" : rampColour(scales[k]!.heat(v));
      const isWorst = index !== null && worst[k]!.has(index);
      const tip = [
        `${label} · ${c.title}: ${e && e.value !== null ? formatMetric(c, e.value) : "n/a"}`,
        e ? formatInterval(c, e, report.confidence) : "",
        isWorst ? "among the worst rows of this column" : "",
      ]
        .filter(Boolean)
        .join(" · ");
      const look = v === null ? ` class="ml-rule" stroke-dasharray="3 2"` : isWorst ? ` class="ml-worst" stroke="${textOn(fill)}"` : "";
      parts.push(
        `<g class="cell" data-metric="${c.id}"><title>${xmlEscape(tip)}</title>` +
          `<rect x="${x}" y="0" width="${CELL}" height="${ROW}" rx="3" fill="${fill}"${look}/>` +
          `<text class="ml-value" x="${x + CELL / 2}" y="${ROW / 2 + 4}" text-anchor="middle" fill="${v === null ? "#8a8a8a" : textOn(fill)}">${xmlEscape(
            (v === null ? "n/a" : formatMetric(c, v)) + (isWorst ? " ▲" : ""),
          )}</text></g>`,
      );
    });
    const barArea = ROW - 4;
    const barHeight = Math.max(2, Math.floor(barArea / Math.max(1, tasks)) - 1);
    m.norm.forEach((e, i) => {
      const w = e.value === null ? 0 : Math.max(1, ((normWidth - 12) * e.value) / normMax);
      const y0 = 2 + i * (barHeight + 1);
      parts.push(
        `<g class="norm" data-task="${i}"><title>${xmlEscape(`${label} · ${report.labels[i]} ‖δ‖ = ${normTip(e, report.confidence)}`)}</title>` +
          `<rect x="${normX}" y="${y0}" width="${round(w)}" height="${barHeight}" rx="1" fill="${taskColour(i)}"/></g>`,
      );
    });
    parts.push(`</g>`);
    return parts.join("");
  };

  report.groups.forEach((g, i) => {
    out.push(row(g.label, g.metrics, rowsTop + i * (ROW + GAP), i, groupNormMax, `class="row" data-group="${xmlEscape(g.key)}" data-kind="${g.kind}"`));
  });
  out.push(`<line class="ml-rule" x1="4" x2="${width - 4}" y1="${totalTop - 5}" y2="${totalTop - 5}"/>`);
  out.push(row("total", report.total, totalTop, null, maxNorm, `class="total" data-group="total"`));

  // Legend: the ramp, its meaning, the worst-row mark.
  const gradientId = `${options.id ?? "ml"}-ramp`;
  out.push(
    `<defs><linearGradient id="${xmlEscape(gradientId)}" x1="0" x2="1" y1="0" y2="0">${RAMP.map(
      (c, i) => `<stop offset="${percent(i / (RAMP.length - 1)).replace("%", "")}%" stop-color="${c}"/>`,
    ).join("")}</linearGradient></defs>`,
  );
  out.push(
    `<g class="legend" transform="translate(8,${legendTop})"><text class="ml-muted ml-small" x="0" y="10">less interference</text>` +
      `<rect x="92" y="1" width="140" height="11" rx="2" fill="url(#${xmlEscape(gradientId)})"/>` +
      `<text class="ml-muted ml-small" x="238" y="10">more · each column's scale is under its title, from 0 · ▲ worst ${Math.round(WORST_SHARE * 100)}% of rows</text></g>`,
  );
  if (titled) out.push("</g>");
  out.push(`</svg>`);
  return out.join("\n");
}

function normTip(e: Estimate, confidence: number | null): string {
  if (e.value === null) return "n/a";
  if (!e.ci || e.ci[0] === e.ci[1]) return decimal(e.value);
  return `${decimal(e.value)} (${Math.round((confidence ?? 0.95) * 100)}% CI ${decimal(e.ci[0])} to ${decimal(e.ci[1])})`;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function truncate(s: string, n: number): string {
  return s.length <= n + 1 ? s : s.slice(0, n) + "…";
}
