/**
 * The live table of a search: one row per candidate as it is scored, with the best so far. As text
 * lines for the terminal, and as HTML (re-rendered on each candidate) for notebooks.
 */
import { formatNumber } from "../language/values.js";
import type { SearchProgress } from "./search-runner.js";

const num = (x: number): string => formatNumber(Number(x.toPrecision(5)));

export class SearchTable {
  private headerShown = false;
  private widths: number[] = [];

  constructor(private readonly write: (line: string) => void) {}

  row(p: SearchProgress): void {
    if (!this.headerShown) {
      this.widths = p.dimensions.map((d) => Math.max(8, d.length));
      this.write(["     #", ...p.dimensions.map((d, i) => d.padStart(this.widths[i]!)), "   score", "  time", "  best"].join(" "));
      this.headerShown = true;
    }
    const c = p.candidate;
    const isBest = p.best.index === c.index;
    const cells = [
      String(c.index).padStart(6),
      ...c.values.map((v, i) => num(v).padStart(this.widths[i]!)),
      num(c.score).padStart(8),
      (c.resumed ? "journal" : `${c.seconds.toFixed(1)}s`).padStart(6),
      isBest ? "  *" : `  ${num(p.best.score)} (#${p.best.index})`,
    ];
    this.write(cells.join(" ") + (p.done === p.total ? "" : `   [${p.done}/${p.total}] ${p.status}`));
  }
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The table so far as HTML: progress, best so far, and the candidates (best highlighted). */
export function searchTableHtml(rows: readonly SearchProgress[]): string {
  const last = rows[rows.length - 1];
  if (!last) return "<p>search starting…</p>";
  const head = `<tr><th>#</th>${last.dimensions.map((d) => `<th>${esc(d)}</th>`).join("")}<th>score</th><th>time</th></tr>`;
  const body = rows
    .map((p) => {
      const c = p.candidate;
      const style = c.index === last.best.index ? ' style="font-weight:bold;background:#fff3d6"' : "";
      return `<tr${style}><td>${c.index}</td>${c.values.map((v) => `<td>${num(v)}</td>`).join("")}<td>${num(c.score)}</td><td>${c.resumed ? "journal" : `${c.seconds.toFixed(1)} s`}</td></tr>`;
    })
    .join("");
  const best = last.best;
  const summary = `<p><b>${last.done}/${last.total}</b> candidates (${esc(last.status)}); best ${num(best.score)} (${last.goal}) at #${best.index}: ${last.dimensions.map((d, i) => `${esc(d)} ${num(best.values[i]!)}`).join(", ")}</p>`;
  return `${summary}<table>${head}${body}</table>`;
}

/** The same as plain text (the notebook's text/plain fallback). */
export function searchTableText(rows: readonly SearchProgress[]): string {
  const lines: string[] = [];
  const table = new SearchTable((l) => lines.push(l));
  for (const r of rows) table.row(r);
  return lines.join("\n");
}
