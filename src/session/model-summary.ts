/**
 * What showing a model or task vector displays: a summary table from the safetensors headers
 * (tensors, parameters, dtypes, layers) and, for a merge, its method and parameters. Reads no weights.
 */
import type { Graph, GraphNode, NodeId, ParamValue } from "../graph/graph.js";
import { postOrder } from "../engine/graph-walk.js";
import { formatSize, type HeaderCache, type ModelHeader } from "../io/index.js";
import { formatNumber } from "../language/values.js";
import { escapeHtml, formatCount, htmlTable, textTable, type MimeBundle } from "./mimebundle.js";

/** A name for a node: the binding it was assigned to, else something recognisable. */
export type NodeLabeler = (id: NodeId) => string;

export interface SummaryRow {
  field: string;
  value: string;
}

export function paramText(v: ParamValue): string {
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(formatNumber).join(", ")}]`;
  return v.points ? `gradient(${v.points.map(formatNumber).join(", ")})` : `ramp(${formatNumber(v.from)}, ${formatNumber(v.to)})`;
}

function describeNode(node: GraphNode, label: NodeLabeler): SummaryRow[] {
  switch (node.kind) {
    case "load":
      return [
        { field: "kind", value: "model" },
        { field: "path", value: node.path },
      ];
    case "affine": {
      const terms = node.terms
        .map((t, i) => {
          const sign = t.coef < 0 ? (i === 0 ? "−" : " − ") : i === 0 ? "" : " + ";
          const size = Math.abs(t.coef);
          return `${sign}${size === 1 ? "" : `${formatNumber(size)}·`}${label(t.node)}`;
        })
        .join("");
      return [
        { field: "kind", value: node.value === "delta" ? "task vector (a difference of models)" : "model (affine combination)" },
        { field: "terms", value: terms },
      ];
    }
    case "merge": {
      const rows: SummaryRow[] = [
        { field: "kind", value: `merged model (${node.method})` },
        { field: "models", value: node.models.map(label).join(", ") },
      ];
      if (node.base !== null) rows.push({ field: "base", value: label(node.base) });
      const params = Object.entries(node.params.values).map(([k, v]) => `${k}: ${paramText(v)}`);
      if (params.length) rows.push({ field: "arguments", value: params.join(", ") });
      for (const w of node.params.where) {
        const sel = w.selector.kind === "glob" ? JSON.stringify(w.selector.pattern) : `layers ${w.selector.from}..${w.selector.to}`;
        rows.push({ field: `where ${sel}`, value: Object.entries(w.values).map(([k, v]) => `${k}: ${paramText(v)}`).join(", ") });
      }
      if (node.scope === "global") rows.push({ field: "scope", value: "global (whole-model thresholds)" });
      return rows;
    }
    case "stack":
      return [
        { field: "kind", value: "stacked layers (passthrough)" },
        { field: "layers", value: node.parts.map((p) => `${label(p.node)} ${p.from}..${p.to ?? "end"}`).join(", ") },
      ];
    case "delta_op":
      return [
        { field: "kind", value: `task vector (${node.op})` },
        { field: "inputs", value: node.inputs.map(label).join(", ") },
        ...Object.entries(node.params.values).map(([k, v]) => ({ field: k, value: paramText(v) })),
      ];
  }
}

function headerRows(h: ModelHeader, float: boolean): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const arch = h.config?.["architectures"];
  const type = h.config?.["model_type"];
  if (Array.isArray(arch) && typeof arch[0] === "string") rows.push({ field: "architecture", value: arch[0] + (typeof type === "string" ? ` (${type})` : "") });
  rows.push({ field: "tensors", value: formatCount(h.tensors.size) });
  rows.push({ field: "parameters", value: formatCount(h.parameterCount) });
  rows.push({ field: "dtype", value: h.dtypes.join(", ") || "none" });
  rows.push({ field: "layers", value: String(h.layerCount) });
  if (float) {
    const bytes = [...h.tensors.values()].reduce((a, t) => a + t.byteLength, 0);
    rows.push({ field: "size", value: formatSize(bytes) + (h.files.length > 1 ? ` in ${h.files.length} shards` : "") });
  }
  return rows;
}

/** Summary rows of a node: what it is, then the facts of the models it reads (from the first one). */
export function summaryRows(graph: Graph, id: NodeId, headers: HeaderCache, label: NodeLabeler): SummaryRow[] {
  const node = graph.nodes[id]!;
  const rows = describeNode(node, label);
  const firstLoad = postOrder(graph, [id]).find((n) => n.kind === "load");
  if (firstLoad && firstLoad.kind === "load") {
    rows.push(...headerRows(headers.get(firstLoad.path), node.kind === "load"));
  }
  return rows;
}

export function summaryBundle(title: string, rows: readonly SummaryRow[]): MimeBundle {
  const table = rows.map((r) => [r.field, r.value]);
  return {
    "text/plain": `${title}\n${textTable(null, table)}`,
    "text/html": `<div class="mergelang-summary"><div><code>${escapeHtml(title)}</code></div>${htmlTable(null, table)}</div>`,
  };
}
