/**
 * Statistics of a task vector (`merged - base`, `trim(a - base, 0.2)`, ...) per layer: its L2 norm,
 * mean magnitude, share of non-zero entries and largest magnitude. Comparing merges in a notebook
 * is mostly this: how much of each task vector a method keeps, and where.
 */
import { compareGroups, groupOf, type GroupId } from "../inspect/groups.js";
import { escapeHtml, formatCount, htmlTable, textTable, type MimeBundle } from "./mimebundle.js";
import type { SummaryRow } from "./model-summary.js";
import type { TensorEvaluator } from "./tensor-eval.js";

export interface DeltaGroupStats {
  label: string;
  tensors: number;
  elements: number;
  l2: number;
  meanAbs: number;
  /** Share of entries that are not 0. */
  nonzero: number;
  maxAbs: number;
}

export interface DeltaStats {
  groups: DeltaGroupStats[];
  total: DeltaGroupStats;
}

interface Sums {
  id: GroupId;
  position: number;
  tensors: number;
  elements: number;
  sumSq: number;
  sumAbs: number;
  nonzero: number;
  maxAbs: number;
}

function emptySums(id: GroupId, position: number): Sums {
  return { id, position, tensors: 0, elements: 0, sumSq: 0, sumAbs: 0, nonzero: 0, maxAbs: 0 };
}

function finish(label: string, s: Sums): DeltaGroupStats {
  const n = s.elements || 1;
  return { label, tensors: s.tensors, elements: s.elements, l2: Math.sqrt(s.sumSq), meanAbs: s.sumAbs / n, nonzero: s.nonzero / n, maxAbs: s.maxAbs };
}

export async function deltaStatistics(evaluator: TensorEvaluator, onTensor?: (done: number, total: number, name: string) => void): Promise<DeltaStats> {
  const floats = evaluator.tensors().filter((t) => t.float);
  const groups = new Map<string, Sums>();
  const total = emptySums({ key: "total", label: "total", kind: "other", layer: null }, 0);
  for (let i = 0; i < floats.length; i++) {
    const t = floats[i]!;
    onTensor?.(i, floats.length, t.name);
    const x = await evaluator.evaluate(t);
    const id = groupOf(t.name, "layer");
    let g = groups.get(id.key);
    if (!g) groups.set(id.key, (g = emptySums(id, i)));
    let sumSq = 0;
    let sumAbs = 0;
    let nonzero = 0;
    let maxAbs = 0;
    for (let e = 0; e < x.length; e++) {
      const v = x[e]!;
      const a = Math.abs(v);
      sumSq += v * v;
      sumAbs += a;
      if (v !== 0) nonzero++;
      if (a > maxAbs) maxAbs = a;
    }
    for (const s of [g, total]) {
      s.tensors++;
      s.elements += x.length;
      s.sumSq += sumSq;
      s.sumAbs += sumAbs;
      s.nonzero += nonzero;
      s.maxAbs = Math.max(s.maxAbs, maxAbs);
    }
  }
  const ordered = [...groups.values()].sort((a, b) => compareGroups(a.id, b.id, (g) => groups.get(g.key)!.position));
  return { groups: ordered.map((g) => finish(g.id.label, g)), total: finish("total", total) };
}

const sig = (v: number): string => (v === 0 ? "0" : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4));
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

const HEADER = ["group", "elements", "L2 norm", "mean |δ|", "non-zero", "max |δ|"];

function cells(g: DeltaGroupStats): string[] {
  return [g.label, formatCount(g.elements), sig(g.l2), sig(g.meanAbs), pct(g.nonzero), sig(g.maxAbs)];
}

/** The summary rows, then the per-layer table (text, and HTML with a bar for each layer's norm). */
export function deltaStatsBundle(title: string, summary: readonly SummaryRow[], stats: DeltaStats): MimeBundle {
  const rows = [...stats.groups.map(cells), cells(stats.total)];
  const text = [title, textTable(null, summary.map((r) => [r.field, r.value])), "", textTable(HEADER, rows)].join("\n");
  const maxNorm = Math.max(...stats.groups.map((g) => g.l2), 0) || 1;
  const bar = (g: DeltaGroupStats): string =>
    `<div style="background:#4c78a8;height:0.7em;width:${((100 * g.l2) / maxNorm).toFixed(1)}%" title="L2 ${escapeHtml(sig(g.l2))}"></div>`;
  const htmlRows = stats.groups
    .map((g) => `<tr>${cells(g).map((c) => `<td>${escapeHtml(c)}</td>`).join("")}<td style="width:8em">${bar(g)}</td></tr>`)
    .join("");
  const totalRow = `<tr style="font-weight:bold">${cells(stats.total).map((c) => `<td>${escapeHtml(c)}</td>`).join("")}<td></td></tr>`;
  const html = [
    '<div class="mergelang-delta">',
    `<div><code>${escapeHtml(title)}</code></div>`,
    htmlTable(null, summary.map((r) => [r.field, r.value])),
    '<table class="mergelang"><thead><tr>',
    [...HEADER, "norm"].map((h) => `<th>${escapeHtml(h)}</th>`).join(""),
    `</tr></thead><tbody>${htmlRows}${totalRow}</tbody></table>`,
    "</div>",
  ].join("");
  return { "text/plain": text, "text/html": html };
}
