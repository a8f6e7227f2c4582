/** What a notebook shows: one value in several formats (Jupyter's mimebundle), and HTML helpers. */
import { grouped } from "../util/grouped.js";

/** MIME type → representation (text/plain is always present). */
export interface MimeBundle {
  "text/plain": string;
  "text/html"?: string;
  "text/markdown"?: string;
  "image/svg+xml"?: string;
  "application/json"?: unknown;
  [mime: string]: unknown;
}

export function textBundle(text: string): MimeBundle {
  return { "text/plain": text };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A small two-column or multi-column table, as aligned plain text. */
export function textTable(header: readonly string[] | null, rows: readonly (readonly string[])[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return out.join("\n");
}

/** The same table as HTML (cells are escaped here). */
export function htmlTable(header: readonly string[] | null, rows: readonly (readonly string[])[], caption?: string): string {
  const cells = (r: readonly string[], tag: "td" | "th"): string => `<tr>${r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("")}</tr>`;
  return [
    '<table class="mergelang">',
    caption ? `<caption style="text-align:left">${escapeHtml(caption)}</caption>` : "",
    header ? `<thead>${cells(header, "th")}</thead>` : "",
    `<tbody>${rows.map((r) => cells(r, "td")).join("")}</tbody>`,
    "</table>",
  ].join("");
}

/** "1,234,567" */
export function formatCount(n: number): string {
  return grouped(n);
}

/** "1.2 s", "340 ms" */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
