/** Words for hovers and completion details: value types, model summaries, per-layer parameters. */
import { basename } from "node:path";
import type { ParamTable } from "../graph/graph.js";
import { resolveParams, type ResolvedValue } from "../graph/params.js";
import { compareGroups, groupOf, type GroupId } from "../inspect/groups.js";
import type { ModelHeader } from "../io/model-header.js";
import { formatNumber, type Atom, type LoadAtom, type MergeAtom, type ModelFamily, type Value } from "../language/values.js";
import { grouped } from "../util/grouped.js";

/** The atom a model value is exactly (coefficient 1), e.g. the load behind `a = model("...")`. */
export function soleAtom(v: Value): Atom | null {
  if (v.type !== "Model" && v.type !== "Delta") return null;
  const entries = [...v.form.entries()];
  return entries.length === 1 && entries[0]![1] === 1 ? entries[0]![0] : null;
}

export function soleLoad(v: Value): LoadAtom | null {
  const a = soleAtom(v);
  return a?.kind === "load" ? a : null;
}

/** One line: "Model — ties of 2 models", "Number 0.2", "Delta (task vector)". */
export function typeLabel(v: Value): string {
  switch (v.type) {
    case "Model": {
      const a = soleAtom(v);
      if (a?.kind === "load") return `Model — ${basename(a.path)}`;
      if (a?.kind === "merge") return `Model — ${a.method} of ${a.models.length} model${a.models.length === 1 ? "" : "s"}`;
      return "Model";
    }
    case "Delta":
      return "Delta (task vector)";
    case "Scaled":
      return "scaled model";
    case "Number":
      return `Number ${formatNumber(v.value)}`;
    case "String":
      return `String ${JSON.stringify(v.value)}`;
    case "Bool":
      return `Bool ${v.value}`;
    case "List":
      return `List of ${v.items.length}`;
    case "Ramp":
      return `ramp(${formatNumber(v.from)}, ${formatNumber(v.to)})`;
    case "Report":
      return "Report (interference)";
    case "Effect":
      return "effect";
    case "Function":
      return "function";
    default:
      return "unknown (see the errors)";
  }
}

/** 1234567 → "1.23M". */
export function formatCount(n: number): string {
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of units) if (n >= size) return `${+(n / size).toPrecision(3)}${unit}`;
  return String(n);
}

/** Markdown summary of a model: architecture, parameters, dtype, layers, shards. */
export function modelSummary(h: ModelHeader, title?: string): string {
  const config = h.config ?? {};
  const archs = config["architectures"];
  const arch = Array.isArray(archs) && typeof archs[0] === "string" ? archs[0] : null;
  const type = typeof config["model_type"] === "string" ? config["model_type"] : null;
  const architecture = arch ? (type ? `${arch} (${type})` : arch) : type ?? (h.config ? "not stated in config.json" : "no config.json");
  const shards = h.files.length;
  const lines = [
    `**${title ?? basename(h.path)}** — \`${h.path}\``,
    "",
    `- architecture: ${architecture}`,
    `- parameters: ${formatCount(h.parameterCount)} (${grouped(h.parameterCount)}) in ${h.tensors.size} tensors`,
    `- dtype: ${h.dtypes.join(", ") || "none"}`,
    `- layers: ${h.layerCount}`,
    `- shards: ${shards}${shards > 1 && shards <= 8 ? ` (${h.files.map((f) => basename(f)).join(", ")})` : shards === 1 ? ` (${basename(h.files[0]!)})` : ""}`,
  ];
  return lines.join("\n");
}

function show(v: ResolvedValue | undefined): string {
  if (v === undefined) return "—";
  if (Array.isArray(v)) return `[${v.map((x) => formatNumber(+x.toPrecision(4))).join(", ")}]`;
  if (typeof v === "number") return formatNumber(+v.toPrecision(4));
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** Values a parameter takes over a group's tensors: "0.2", or "0.2–0.4" when they differ. */
function summarise(values: ResolvedValue[]): string {
  const distinct = [...new Set(values.map(show))];
  if (distinct.length === 1) return distinct[0]!;
  if (values.every((v) => typeof v === "number")) {
    const nums = values as number[];
    return `${show(Math.min(...nums))}–${show(Math.max(...nums))}`;
  }
  return distinct.join(" / ");
}

/**
 * The parameters a merge call resolves to, per layer group (embeddings, layer 0.., head, other), as a
 * markdown table. Parameters the same everywhere are listed once; consecutive identical layers merge.
 */
export function layerParamsTable(table: ParamTable, family: ModelFamily): string {
  const keys = new Set(Object.keys(table.values));
  for (const w of table.where) for (const k of Object.keys(w.values)) keys.add(k);
  const groups = new Map<string, { id: GroupId; position: number; tensors: string[] }>();
  let position = 0;
  for (const name of family.tensors.keys()) {
    const id = groupOf(name, "layer");
    const g = groups.get(id.key) ?? { id, position: position++, tensors: [] };
    g.tensors.push(name);
    groups.set(id.key, g);
  }
  const ordered = [...groups.values()].sort((a, b) => compareGroups(a.id, b.id, (g) => groups.get(g.key)!.position));
  const cells = ordered.map((g) => {
    const resolved = g.tensors.map((t) => resolveParams(table, t, family.layerCount));
    const row: Record<string, string> = {};
    for (const k of keys) row[k] = summarise(resolved.map((r) => r[k]).filter((v): v is ResolvedValue => v !== undefined));
    return { label: g.id.label, layer: g.id.layer, row };
  });
  const varying = [...keys].filter((k) => new Set(cells.map((c) => c.row[k])).size > 1);
  const constant = [...keys].filter((k) => !varying.includes(k));
  const out: string[] = [];
  if (constant.length) out.push(`everywhere: ${constant.map((k) => `${k} ${cells[0]?.row[k] ?? show(table.values[k] as ResolvedValue)}`).join(", ")}`);
  if (varying.length === 0 || cells.length === 0) return out.join("\n\n");
  // Merge consecutive layers whose values agree: "layers 0–1".
  const runs: { label: string; first: number | null; last: number | null; values: string[] }[] = [];
  for (const c of cells) {
    const values = varying.map((k) => c.row[k]!);
    const prev = runs[runs.length - 1];
    if (c.layer !== null && prev?.last === c.layer - 1 && prev.values.join("\u0000") === values.join("\u0000")) {
      prev.last = c.layer;
      continue;
    }
    runs.push({ label: c.label, first: c.layer, last: c.layer, values });
  }
  const rows = runs.map((r) => ({
    label: r.first === null ? r.label : r.first === r.last ? `layer ${r.first}` : `layers ${r.first}–${r.last}`,
    values: r.values,
  }));
  out.push(
    [`| tensors | ${varying.join(" | ")} |`, `| --- | ${varying.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.label} | ${r.values.join(" | ")} |`)].join("\n"),
  );
  return out.join("\n\n");
}

/** The merge atom a call produced, if the call checked cleanly. */
export function mergeAtomOf(atoms: readonly Atom[], call: MergeAtom["call"]): MergeAtom | null {
  for (const a of atoms) if (a.kind === "merge" && a.call === call) return a;
  return null;
}
