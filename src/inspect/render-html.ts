/**
 * The report as self-contained HTML: no network (no CDN, fonts or scripts), readable on light and dark
 * pages. Colours come from CSS variables that follow `prefers-color-scheme`, and also the host's own
 * theme where it says so (VS Code webviews: body.vscode-dark / vscode-light; JupyterLab:
 * data-jp-theme-light), which can differ from the operating system's.
 */
import { count, decimal, formatEstimate, formatInterval, formatMetric, formatNorm } from "./format.js";
import { worstRows } from "./highlights.js";
import { readEverything, reportSettings } from "./render-text.js";
import { renderSvg, xmlEscape } from "./render-svg.js";
import { type Estimate, type GroupMetrics, metricColumns, type Report } from "./report.js";

export interface HtmlOptions {
  /** Page heading (default: "Interference of a, b, c"). */
  title?: string;
  /** A `<div>` to embed in a notebook output or a webview, instead of a whole document. */
  fragment?: boolean;
}

const LIGHT = "--ml-fg: #1f1f1f; --ml-muted: #5c5c5c; --ml-page: #ffffff; --ml-card: rgba(120,120,120,0.09); --ml-rule: rgba(120,120,120,0.35); --ml-accent: #b8432a;";
const DARK = "--ml-fg: #e6e6e6; --ml-muted: #a9a9a9; --ml-page: #1e1e1e; --ml-card: rgba(160,160,160,0.12); --ml-rule: rgba(160,160,160,0.35); --ml-accent: #f0906e;";

const CSS = `
.mergelang-report { ${LIGHT} color: var(--ml-fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; max-width: 1200px; }
@media (prefers-color-scheme: dark) { .mergelang-report { ${DARK} } }
body.vscode-dark .mergelang-report, body.vscode-high-contrast .mergelang-report, [data-jp-theme-light="false"] .mergelang-report { ${DARK} }
body.vscode-light .mergelang-report, body.vscode-high-contrast-light .mergelang-report, [data-jp-theme-light="true"] .mergelang-report { ${LIGHT} }
.mergelang-report h1 { font-size: 1.25em; margin: 0 0 0.2em; }
.mergelang-report h2 { font-size: 1.05em; margin: 1.4em 0 0.5em; }
.mergelang-report .meta, .mergelang-report .note { color: var(--ml-muted); margin: 0.2em 0; }
.mergelang-report .cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0.8em 0; }
.mergelang-report .card { background: var(--ml-card); border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.mergelang-report .card .value { font-size: 1.35em; font-weight: 600; font-variant-numeric: tabular-nums; }
.mergelang-report .card .label, .mergelang-report .card .ci { color: var(--ml-muted); font-size: 0.85em; }
.mergelang-report .scroll { overflow-x: auto; }
.mergelang-report table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
.mergelang-report th, .mergelang-report td { padding: 3px 10px; border-bottom: 1px solid var(--ml-rule); text-align: right; white-space: nowrap; }
.mergelang-report th:first-child, .mergelang-report td:first-child { text-align: left; }
.mergelang-report tr.total td { font-weight: 600; border-top: 2px solid var(--ml-rule); }
.mergelang-report td.worst { color: var(--ml-accent); font-weight: 600; }
.mergelang-report .ml-heatmap .ml-fg { fill: var(--ml-fg); }
.mergelang-report .ml-heatmap .ml-muted { fill: var(--ml-muted); }
`;

const PAGE_CSS = `
html, body { margin: 0; background: var(--vscode-editor-background, #ffffff); }
@media (prefers-color-scheme: dark) { html, body { background: var(--vscode-editor-background, #1e1e1e); } }
body { padding: 16px 20px; }
`;

export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const title = options.title ?? `Interference of ${report.labels.join(", ")}`;
  const body = reportBody(report, title);
  if (options.fragment) return `<div class="mergelang-report"><style>${CSS}</style>${body}</div>`;
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark"><title>${xmlEscape(title)}</title>`,
    `<style>${PAGE_CSS}${CSS}</style></head>`,
    `<body><main class="mergelang-report">${body}</main></body></html>`,
  ].join("\n");
}

function reportBody(report: Report, title: string): string {
  const columns = metricColumns(report);
  const parts: string[] = [];
  parts.push(`<h1>${xmlEscape(title)}</h1>`);
  parts.push(`<p class="meta">${xmlEscape(reportSettings(report))}</p>`);
  parts.push(
    `<p class="meta">${xmlEscape(
      `base ${report.base} · ${count(report.total.elements)} parameters per model in ${count(report.total.tensors)} tensors` +
        (report.mode === "sampled" ? ` · ${count(report.total.sampled)} read per model` : ""),
    )}</p>`,
  );

  parts.push(`<div class="cards">`);
  for (const c of columns) {
    const e = c.pick(report.total);
    if (!e) continue;
    parts.push(
      `<div class="card" data-metric="${c.id}"><div class="label">${xmlEscape(c.title)}</div>` +
        `<div class="value">${xmlEscape(e.value === null ? "n/a" : formatMetric(c, e.value))}</div>` +
        `<div class="ci">${xmlEscape(formatInterval(c, e, report.confidence) || c.describe)}</div></div>`,
    );
  }
  parts.push(`</div>`);

  parts.push(`<h2>${report.by === "layer" ? "Per layer" : "Per tensor"}</h2>`);
  parts.push(`<div class="scroll">${renderSvg(report, { id: "ml-heatmap", inline: true })}</div>`);

  parts.push(`<h2>Numbers</h2>`);
  parts.push(`<div class="scroll">${numbersTable(report)}</div>`);

  parts.push(`<h2>Per task (whole model)</h2>`);
  parts.push(`<div class="scroll">${taskTable(report)}</div>`);

  if (report.labels.length > 1) {
    parts.push(`<h2>Cosine similarity of task vectors (whole model)</h2>`);
    parts.push(`<div class="scroll">${cosineTable(report)}</div>`);
  }

  const notes: string[] = [
    "Redundancy: share of each task's L1 mass that trimming at the density removes (TIES blames these small deltas). " +
      "Sign conflict: share of elements where two tasks keep values of opposite sign. " +
      "Lost to election: share of the kept mass whose sign loses TIES's election. Cosine: mean pairwise cosine of the task vectors.",
  ];
  if (report.pcb) {
    notes.push(
      `PCB (ratio ${report.pcb.ratio}, clip ${report.pcb.clip}): dropped is the share of parameters whose balancing scale is 0; ` +
        "β spread is the standard deviation of the balancing scores; scale share is each task's weight in the balanced mean." +
        (report.mode === "sampled" ? " In sampled mode PCB's extremes are extrapolated from the sample: use exact mode for PCB numbers." : ""),
    );
  }
  if (!readEverything(report)) {
    notes.push(
      `Sampled: seed ${report.seed}, ${Math.round((report.confidence ?? 0.95) * 100)}% intervals from the spread between sampled blocks, with the trimming threshold's own error included.`,
    );
  }
  if (report.skipped.length) notes.push(`Skipped: ${report.skipped.map((s) => `${s.tensor} (${s.reason})`).join(", ")}.`);
  parts.push(notes.map((n) => `<p class="note">${xmlEscape(n)}</p>`).join(""));
  return parts.join("\n");
}

function cell(text: string, tip: string, worst = false): string {
  return `<td${worst ? ` class="worst"` : ""}${tip ? ` title="${xmlEscape(tip)}"` : ""}>${xmlEscape(text)}</td>`;
}

function numbersTable(report: Report): string {
  const columns = metricColumns(report);
  const worst = columns.map((c) => worstRows(report, c));
  const head = ["group", "tensors", "elements", ...columns.map((c) => c.title), ...report.labels.map((l) => `‖δ‖ ${l}`)];
  const row = (label: string, m: GroupMetrics, index: number | null, attrs: string): string =>
    `<tr ${attrs}><td>${xmlEscape(label)}</td>${cell(count(m.tensors), "")}${cell(count(m.elements), "")}` +
    columns
      .map((c, k) => {
        const e = c.pick(m);
        return cell(formatEstimate(c, e), e ? formatInterval(c, e, report.confidence) : "", index !== null && worst[k]!.has(index));
      })
      .join("") +
    m.norm.map((e) => cell(formatNorm(e), "")).join("") +
    `</tr>`;
  return (
    `<table class="numbers"><thead><tr>${head.map((h) => `<th>${xmlEscape(h)}</th>`).join("")}</tr></thead><tbody>` +
    report.groups.map((g, i) => row(g.label, g.metrics, i, `data-group="${xmlEscape(g.key)}"`)).join("") +
    row("total", report.total, null, `class="total"`) +
    `</tbody></table>`
  );
}

function taskTable(report: Report): string {
  const t = report.total;
  const pct = (e: Estimate | undefined): string => formatEstimate({ id: "redundancy" }, e);
  const head = ["task", "‖δ‖", "redundancy", "lost to election"];
  if (t.pcb) head.push("PCB dropped", "mean β", "scale share");
  const rows = report.labels.map((label, i) => {
    const cells = [formatNorm(t.norm[i]!), pct(t.redundancy_by_task[i]), pct(t.lost_by_task[i])];
    if (t.pcb) {
      const b = t.pcb.beta_mean[i]!;
      cells.push(pct(t.pcb.dropped_by_task[i]), b.value === null ? "n/a" : decimal(b.value), pct(t.pcb.scale_share[i]));
    }
    return `<tr><td>${xmlEscape(label)}</td>${cells.map((c) => `<td>${xmlEscape(c)}</td>`).join("")}</tr>`;
  });
  return `<table class="tasks"><thead><tr>${head.map((h) => `<th>${xmlEscape(h)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function cosineTable(report: Report): string {
  const m = report.total.cosine_matrix;
  const head = `<tr><th></th>${report.labels.map((l) => `<th>${xmlEscape(l)}</th>`).join("")}</tr>`;
  const rows = report.labels.map(
    (l, i) => `<tr><td>${xmlEscape(l)}</td>${m[i]!.map((v) => `<td>${v === null ? "n/a" : decimal(v)}</td>`).join("")}</tr>`,
  );
  return `<table class="cosine"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table>`;
}
