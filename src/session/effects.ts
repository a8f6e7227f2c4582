/**
 * What a cell's statements do when they run: show a value (a model summary, task-vector statistics,
 * text), show an interference report, save a model with a progress display. The session decides
 * which statement's output is the cell's result.
 */
import type { Effect, Graph, InterferenceEffect, NodeId, SaveEffect, ShowEffect } from "../graph/graph.js";
import { EngineError } from "../engine/errors.js";
import { executeGraph, type EngineProgress } from "../engine/executor.js";
import { inspectInterference } from "../inspect/index.js";
import { formatSize, type HeaderCache, modelDisplayName } from "../io/index.js";
import type { Analysis } from "../language/analyzer.js";
import type { CheckedRecipe } from "../language/service.js";
import { deltaStatistics, deltaStatsBundle } from "./delta-stats.js";
import { formatCount, formatDuration, htmlTable, textBundle, textTable, type MimeBundle } from "./mimebundle.js";
import { summaryBundle, summaryRows, type NodeLabeler } from "./model-summary.js";
import type { CellOutput } from "./output.js";
import { ProgressDisplay } from "./progress-display.js";
import { reportBundle } from "./report-display.js";
import type { TensorCache } from "./tensor-cache.js";
import { TensorEvaluator } from "./tensor-eval.js";

/** What running one cell's effects needs from the session. */
export interface EffectContext {
  cwd: string;
  headers: HeaderCache;
  cache: TensorCache;
  /** A private folder for whole-model intermediate results. */
  scratchDir: () => string;
  checked: CheckedRecipe;
  out: CellOutput;
  signal: AbortSignal;
}

/** Names for graph nodes: the binding a value was assigned to, else the model folder or method. */
export function nodeLabeler(graph: Graph, analysis: Analysis): NodeLabeler {
  const byOrigin = new Map<string, string>();
  for (const b of analysis.bindings) {
    const v = b.statement.value;
    if (v && v.kind !== "NameRef" && v.kind !== "ParenExpr") byOrigin.set(`${v.range.start.line}:${v.range.start.column}`, b.name);
  }
  return (id: NodeId) => {
    const node = graph.nodes[id]!;
    const named = byOrigin.get(`${node.origin.line}:${node.origin.column}`);
    if (named) return named;
    if (node.kind === "load") return modelDisplayName(node.path);
    if (node.kind === "merge") return `${node.method}(...)`;
    if (node.kind === "delta_op") return `${node.op}(...)`;
    return "(expression)";
  };
}

export async function showValue(effect: ShowEffect, graph: Graph, label: NodeLabeler, ctx: EffectContext): Promise<MimeBundle> {
  if (effect.node === null) return textBundle(effect.text ?? "");
  const title = showTitle(effect, ctx.checked);
  const rows = summaryRows(graph, effect.node, ctx.headers, label);
  if (graph.nodes[effect.node]!.value !== "delta") return summaryBundle(title, rows);
  // A task vector: its statistics need its values, read (and kept) through the tensor cache.
  const progress = new ProgressDisplay(ctx.out, { delayMs: 1000 });
  const evaluator = new TensorEvaluator(graph, effect.node, ctx.cache, ctx.headers, {
    signal: ctx.signal,
    scratchDir: ctx.scratchDir,
    onEngineProgress: (p) => progress.update(`${p.label}: ${p.tensorsDone}/${p.tensorsTotal} tensors`, p.tensorsTotal ? p.tensorsDone / p.tensorsTotal : null),
  });
  try {
    const stats = await deltaStatistics(evaluator, (done, total, name) => progress.update(`task vector statistics: ${name}`, total ? done / total : null));
    progress.finishIfShown(textBundle(`task vector statistics: ${stats.total.tensors} tensors in ${formatDuration(progress.elapsedMs)}`));
    return deltaStatsBundle(title, rows, stats);
  } finally {
    evaluator.close();
  }
}

/** `merged` alone shows as "merged = ties(a, b, base: base)". */
function showTitle(effect: ShowEffect, checked: CheckedRecipe): string {
  const text = (effect.text ?? "").trim();
  const binding = [...checked.analysis.bindings].reverse().find((b) => b.name === text && b.statement.range.start.line <= effect.origin.line);
  const value = binding?.statement.value;
  return value ? `${text} = ${checked.text.slice(value.range.start.offset, value.range.end.offset)}` : text;
}

function loadPath(graph: Graph, id: NodeId, what: string, label: NodeLabeler, effect: Effect): string {
  const node = graph.nodes[id]!;
  if (node.kind === "load") return node.path;
  throw new EngineError(
    `interference reads the models' files, but ${what} '${label(id)}' is computed in the recipe: save it first and load the saved folder with model(...)`,
    effect.origin,
  );
}

export async function showInterference(effect: InterferenceEffect, graph: Graph, label: NodeLabeler, ctx: EffectContext): Promise<MimeBundle> {
  const models = effect.models.map((id) => loadPath(graph, id, "the model", label, effect));
  const base = loadPath(graph, effect.base, "the base", label, effect);
  const progress = new ProgressDisplay(ctx.out, { delayMs: 1000 });
  const report = await inspectInterference({
    models,
    base,
    density: effect.density,
    by: effect.by,
    spectral: effect.spectral,
    labels: effect.models.map(label),
    headers: ctx.headers,
    signal: ctx.signal,
    onProgress: (p) => progress.update(`interference: ${p.tensor}`, p.total ? p.done / p.total : null),
  });
  progress.finishIfShown(textBundle(`interference: ${formatCount(report.groups.length)} groups in ${formatDuration(report.elapsedMs)}`));
  return reportBundle(report);
}

export async function saveModel(effect: SaveEffect, graph: Graph, ctx: EffectContext): Promise<void> {
  const progress = new ProgressDisplay(ctx.out);
  const shown = relativePath(ctx.cwd, effect.path);
  progress.update(`saving ${shown}: starting`, 0, true);
  const onProgress = (p: EngineProgress): void => {
    const bytes = `${formatSize(p.bytesRead)} read, ${formatSize(p.bytesWritten)} written`;
    progress.update(`saving ${shown}: ${p.step} · ${bytes}`, p.workTotal ? p.workDone / p.workTotal : null);
  };
  const result = await executeGraph({ nodes: graph.nodes, effects: [effect] }, { signal: ctx.signal, onProgress, headerCache: ctx.headers });
  const saved = result.saved[0];
  if (!saved) throw new EngineError(`save wrote nothing to ${effect.path}`, effect.origin);
  const rows = [
    ["saved", shown],
    ["path", saved.path],
    ["files", saved.files.map((f) => relativePath(saved.path, f)).join(", ")],
    ["tensors", formatCount(saved.tensors)],
    ["dtype", effect.dtype],
    ["size", formatSize(saved.bytesWritten)],
    ["time", formatDuration(progress.elapsedMs)],
  ];
  progress.finish({
    "text/plain": textTable(null, rows),
    "text/html": `<div class="mergelang-saved">${htmlTable(null, rows)}</div>`,
  });
}

/** `path` relative to `dir` when it is inside it. */
export function relativePath(dir: string, path: string): string {
  return path.startsWith(dir + "/") ? path.slice(dir.length + 1) : path;
}
