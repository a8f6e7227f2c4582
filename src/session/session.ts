/**
 * A notebook session: the recipe state shared by the cells of one kernel. Cells that pass the checks
 * are kept as a prelude, so later cells see their bindings; a new cell is analyzed together with the
 * prelude (diagnostics are mapped back to the cell's own lines) and only its own statements run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Effect, Graph, InterferenceEffect, NodeId, SaveEffect, ShowEffect } from "../graph/graph.js";
import { EngineAbortedError, EngineError } from "../engine/errors.js";
import { executeGraph, type EngineProgress } from "../engine/executor.js";
import { inspectInterference, InterferenceInputError } from "../inspect/index.js";
import { formatSize, HeaderCache, ModelFormatError, modelDisplayName, parseSize } from "../io/index.js";
import type { Analysis, Binding } from "../language/analyzer.js";
import type { Diagnostic } from "../language/diagnostics.js";
import { headerLookup } from "../language/header-lookup.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { checkRecipe, type CheckedRecipe } from "../language/service.js";
import { typeName, valueText } from "../language/values.js";
import { describeLocation, Prelude, type ComposedSource } from "./cell-source.js";
import { diagnosticsError, formatCellDiagnostic, runtimeError, type CellError, type Locator } from "./cell-error.js";
import { complete, type Completion, type NameInfo } from "./completion.js";
import { deltaStatistics, deltaStatsBundle } from "./delta-stats.js";
import { inspectAt, type Inspection } from "./inspection.js";
import { isComplete, type Completeness } from "./is-complete.js";
import { magicHelp, splitMagics, type MagicLine } from "./magics.js";
import { formatCount, formatDuration, htmlTable, textBundle, textTable, type MimeBundle } from "./mimebundle.js";
import { summaryBundle, summaryRows, type NodeLabeler } from "./model-summary.js";
import type { CellOutput } from "./output.js";
import { ProgressDisplay } from "./progress-display.js";
import { reportBundle } from "./report-display.js";
import { DEFAULT_CACHE_BYTES, TensorCache } from "./tensor-cache.js";
import { TensorEvaluator } from "./tensor-eval.js";

export interface SessionOptions {
  /** Folder that relative model and output paths resolve against (default: the current directory). */
  cwd?: string;
  /** Memory cap of the tensor cache in bytes, or a size such as "2GB" (default 1 GB). */
  cache?: number | string;
  /** Shared safetensors header cache (one is made when absent). */
  headers?: HeaderCache;
}

export type CellOutcome = { status: "ok" } | { status: "error"; error: CellError };

export interface RunOptions {
  /** The cell's execution count, used in error locations ("Cell In[3], line 2"). */
  executionCount?: number | null;
  signal?: AbortSignal;
}

export interface BindingSummary {
  name: string;
  type: string;
  /** The value as text (numbers, strings) or the expression it was bound to. */
  text: string;
}

/** The parts of one cell being run. */
interface CellRun {
  code: string;
  composed: ComposedSource;
  checked: CheckedRecipe;
  locate: Locator;
  count: number | null;
  out: CellOutput;
  signal: AbortSignal;
}

/** A failure while running a cell, already in the shape Jupyter shows. */
class CellFailure extends Error {
  constructor(readonly cellError: CellError) {
    super(cellError.evalue);
  }
}

export class Session {
  readonly cwd: string;
  /** The recipe file the notebook stands for: model paths resolve against its folder. */
  readonly file: string;
  readonly headers: HeaderCache;
  readonly cache: TensorCache;
  private readonly prelude = new Prelude();
  private readonly lookup: ModelLookup;
  private running: AbortController | null = null;
  private scratch: string | null = null;

  constructor(options: SessionOptions = {}) {
    this.cwd = resolve(options.cwd ?? process.cwd());
    this.file = join(this.cwd, "notebook.merge");
    this.headers = options.headers ?? new HeaderCache();
    this.lookup = headerLookup(this.headers);
    const cap = options.cache ?? DEFAULT_CACHE_BYTES;
    this.cache = new TensorCache(typeof cap === "string" ? parseCacheSize(cap) : cap);
  }

  /** True while a cell runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Stops the running cell (its merge, report or statistics); false when none runs. */
  interrupt(): boolean {
    if (!this.running) return false;
    this.running.abort();
    return true;
  }

  /** Forgets every binding and empties the tensor cache. */
  reset(): void {
    this.prelude.clear();
    this.cache.clear();
    this.removeScratch();
    this.headers.invalidate();
  }

  /** Stops the running cell and removes the session's scratch folder. */
  close(): void {
    this.interrupt();
    this.removeScratch();
  }

  /** A private folder for whole-model intermediate results, made on first use. */
  private scratchDir(): string {
    this.scratch ??= mkdtempSync(join(tmpdir(), "mergelang-session-"));
    return this.scratch;
  }

  private removeScratch(): void {
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
    this.scratch = null;
  }

  /** The recipe text of the cells kept so far. */
  get source(): string {
    return this.prelude.source;
  }

  async execute(cell: string, out: CellOutput, options: RunOptions = {}): Promise<CellOutcome> {
    if (this.running) throw new Error("a cell is already running in this session");
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) controller.abort();
    this.running = controller;
    try {
      return await this.run(cell, out, options.executionCount ?? null, controller.signal);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.running = null;
    }
  }

  private async run(cell: string, out: CellOutput, count: number | null, signal: AbortSignal): Promise<CellOutcome> {
    const { magics, code } = splitMagics(cell);
    try {
      for (const m of magics) this.magic(m, out, count);
    } catch (e) {
      if (e instanceof CellFailure) return { status: "error", error: e.cellError };
      throw e;
    }
    if (code.trim() === "") return { status: "ok" };

    const composed = this.prelude.compose(code);
    const checked = checkRecipe(composed.text, this.file, { models: this.lookup });
    const locate: Locator = (pos) => this.prelude.locate(composed, code, pos);
    const errors = checked.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0 || !checked.graph) {
      return { status: "error", error: diagnosticsError(errors.length ? errors : checked.diagnostics, locate, count) };
    }
    const warnings = checked.diagnostics.filter((d) => d.severity === "warning" && d.range.start.offset >= composed.cellOffset);
    if (warnings.length) out.stream("stderr", warnings.map((d) => formatCellDiagnostic(d, locate, count)).join("\n") + "\n");

    // The cell is sound: its bindings hold from now on, whatever its effects do at run time.
    this.prelude.append(code, count);
    const run: CellRun = { code, composed, checked, locate, count, out, signal };
    try {
      await this.runEffects(run, checked.graph);
      return { status: "ok" };
    } catch (e) {
      return { status: "error", error: this.runtimeFailure(e, run) };
    }
  }

  private async runEffects(run: CellRun, graph: Graph): Promise<void> {
    const statements = run.checked.analysis.program.statements;
    const lastStatement = statements[statements.length - 1];
    const finalStart =
      lastStatement && lastStatement.kind === "ExprStmt" && lastStatement.range.start.offset >= run.composed.cellOffset ? lastStatement.range.start : null;
    const label = this.labeler(graph, run.checked.analysis);
    for (const effect of graph.effects) {
      if (effect.origin.line < run.composed.cellLine) continue;
      if (run.signal.aborted) throw new EngineAbortedError();
      const isFinal = finalStart !== null && effect.origin.line === finalStart.line && effect.origin.column === finalStart.column;
      const emit = (bundle: MimeBundle): void => (isFinal ? run.out.result(bundle) : run.out.display(bundle));
      try {
        switch (effect.kind) {
          case "print":
            run.out.stream("stdout", effect.text + "\n");
            break;
          case "show":
            emit(await this.show(effect, graph, label, run));
            break;
          case "interference":
            emit(await this.interference(effect, graph, label, run));
            break;
          case "save":
            await this.save(effect, graph, run);
            break;
        }
      } catch (e) {
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { effect });
      }
    }
  }

  /** Names for graph nodes: the binding a value was assigned to, else the model folder or method. */
  private labeler(graph: Graph, analysis: Analysis): NodeLabeler {
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

  private async show(effect: ShowEffect, graph: Graph, label: NodeLabeler, run: CellRun): Promise<MimeBundle> {
    if (effect.node === null) return textBundle(effect.text ?? "");
    const title = this.showTitle(effect, run.checked);
    const rows = summaryRows(graph, effect.node, this.headers, label);
    if (graph.nodes[effect.node]!.value !== "delta") return summaryBundle(title, rows);
    // A task vector: its statistics need its values, read (and kept) through the tensor cache.
    const progress = new ProgressDisplay(run.out, { delayMs: 1000 });
    const evaluator = new TensorEvaluator(graph, effect.node, this.cache, this.headers, {
      signal: run.signal,
      scratchDir: () => this.scratchDir(),
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
  private showTitle(effect: ShowEffect, checked: CheckedRecipe): string {
    const text = (effect.text ?? "").trim();
    const binding = [...checked.analysis.bindings].reverse().find((b) => b.name === text && b.statement.range.start.line <= effect.origin.line);
    const value = binding?.statement.value;
    return value ? `${text} = ${checked.text.slice(value.range.start.offset, value.range.end.offset)}` : text;
  }

  private loadPath(graph: Graph, id: NodeId, what: string, label: NodeLabeler, effect: Effect): string {
    const node = graph.nodes[id]!;
    if (node.kind === "load") return node.path;
    throw new EngineError(
      `interference reads the models' files, but ${what} '${label(id)}' is computed in the recipe: save it first and load the saved folder with model(...)`,
      effect.origin,
    );
  }

  private async interference(effect: InterferenceEffect, graph: Graph, label: NodeLabeler, run: CellRun): Promise<MimeBundle> {
    const models = effect.models.map((id) => this.loadPath(graph, id, "the model", label, effect));
    const base = this.loadPath(graph, effect.base, "the base", label, effect);
    const progress = new ProgressDisplay(run.out, { delayMs: 1000 });
    const report = await inspectInterference({
      models,
      base,
      density: effect.density,
      by: effect.by,
      labels: effect.models.map(label),
      headers: this.headers,
      signal: run.signal,
      onProgress: (p) => progress.update(`interference: ${p.tensor}`, p.total ? p.done / p.total : null),
    });
    progress.finishIfShown(textBundle(`interference: ${formatCount(report.groups.length)} groups in ${formatDuration(report.elapsedMs)}`));
    return reportBundle(report);
  }

  private async save(effect: SaveEffect, graph: Graph, run: CellRun): Promise<void> {
    const progress = new ProgressDisplay(run.out);
    const shown = relativePath(this.cwd, effect.path);
    progress.update(`saving ${shown}: starting`, 0, true);
    const onProgress = (p: EngineProgress): void => {
      const bytes = `${formatSize(p.bytesRead)} read, ${formatSize(p.bytesWritten)} written`;
      progress.update(`${p.phase === "statistics" ? p.label : `saving ${shown}`}: ${p.tensorsDone}/${p.tensorsTotal} tensors · ${bytes}`, p.tensorsTotal ? p.tensorsDone / p.tensorsTotal : null);
    };
    const result = await executeGraph({ nodes: graph.nodes, effects: [effect] }, { signal: run.signal, onProgress, headerCache: this.headers });
    const saved = result.saved[0];
    if (!saved) throw new EngineError(`save wrote nothing to ${effect.path}`, effect.origin);
    const rows = [
      ["saved", shown],
      ["path", saved.path],
      ["files", saved.files.join(", ")],
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

  private runtimeFailure(e: unknown, run: CellRun): CellError {
    const effect = (e as { effect?: Effect }).effect;
    const origin = e instanceof EngineError && e.origin ? e.origin : effect?.origin;
    if (e instanceof EngineAbortedError || (e instanceof Error && e.name === "AbortError") || run.signal.aborted) {
      const what = effect?.kind === "save" ? `saving ${relativePath(this.cwd, effect.path)} stopped; no output folder was written` : "the cell stopped";
      return runtimeError("KeyboardInterrupt", `interrupted: ${what}`, origin, run.locate, run.count);
    }
    const message = e instanceof Error ? e.message : String(e);
    let ename = "RuntimeError";
    if (e instanceof EngineError) ename = "EngineError";
    else if (e instanceof InterferenceInputError) ename = "InterferenceError";
    else if (e instanceof ModelFormatError) ename = "ModelFormatError";
    else if (e instanceof RangeError) ename = "RangeError";
    const error = runtimeError(ename, message, origin, run.locate, run.count);
    if (process.env["MERGELANG_DEBUG"] && e instanceof Error && e.stack) error.traceback.push(e.stack);
    return error;
  }

  // ---- magics ----

  private magic(m: MagicLine, out: CellOutput, count: number | null): void {
    const fail = (message: string): never => {
      throw new CellFailure({
        ename: "MagicError",
        evalue: message,
        traceback: [`\x1b[1;31mMagicError\x1b[0m: ${message}`, `  --> ${count === null ? "this cell" : `Cell In[${count}]`}, line ${m.line}`],
      });
    };
    switch (m.name) {
      case "cache": {
        if (m.args === "clear") {
          this.cache.clear();
          out.stream("stdout", "tensor cache emptied\n");
        } else if (m.args !== "") {
          let bytes: number;
          try {
            bytes = parseCacheSize(m.args);
          } catch (e) {
            return fail((e as Error).message);
          }
          this.cache.setCap(bytes);
          out.stream("stdout", `tensor cache cap: ${bytes === 0 ? "off" : formatSize(bytes)}\n`);
        } else {
          const s = this.cache.stats();
          out.stream(
            "stdout",
            `tensor cache: ${s.entries} tensors, ${formatSize(s.bytes)} of ${s.capBytes === 0 ? "0 B (off)" : formatSize(s.capBytes)}; ${s.hits} hits, ${s.misses} misses\n`,
          );
        }
        return;
      }
      case "reset":
        this.reset();
        out.stream("stdout", "bindings and tensor cache cleared\n");
        return;
      case "who": {
        const rows = this.bindings().map((b) => [b.name, b.type, b.text]);
        if (rows.length === 0) out.stream("stdout", "no names are bound yet\n");
        else out.display({ "text/plain": textTable(["name", "type", "value"], rows), "text/html": htmlTable(["name", "type", "value"], rows) });
        return;
      }
      case "magics":
      case "lsmagic":
        out.stream("stdout", Object.values(magicHelp).join("\n") + "\n");
        return;
      default: {
        const names = Object.keys(magicHelp);
        const near = names.find((n) => n.startsWith(m.name.slice(0, 2)));
        fail(`unknown magic %${m.name}${near ? `: did you mean %${near}?` : ""} (magics: ${names.map((n) => "%" + n).join(", ")})`);
      }
    }
  }

  // ---- what the editor side asks ----

  /** The names bound by the cells so far (the latest binding of each), with their types. */
  bindings(): BindingSummary[] {
    if (this.prelude.source === "") return [];
    const checked = checkRecipe(this.prelude.source, this.file, { models: null });
    const latest = new Map<string, Binding>();
    for (const b of checked.analysis.bindings) latest.set(b.name, b);
    return [...latest.values()].map((b) => ({
      name: b.name,
      type: b.value.type,
      text: valueText(b.value) ?? (b.statement.value ? checked.text.slice(b.statement.value.range.start.offset, b.statement.value.range.end.offset) : ""),
    }));
  }

  /** Completion at `cursor` (an offset in `code`); the result's offsets are in `code` too. */
  complete(code: string, cursor: number): Completion {
    const line = code.slice(code.lastIndexOf("\n", cursor - 1) + 1, cursor);
    const magic = /^\s*%(\w*)$/.exec(line);
    if (magic) {
      const items = Object.keys(magicHelp)
        .filter((n) => n.startsWith(magic[1]!))
        .map((n) => ({ text: n, kind: "keyword" as const, detail: magicHelp[n]! }));
      return { items, start: cursor - magic[1]!.length, end: cursor };
    }
    const { code: plain } = splitMagics(code);
    const composed = this.prelude.compose(plain);
    const checked = checkRecipe(composed.text, this.file, { models: null });
    const names: NameInfo[] = checked.analysis.bindings.map((b) => ({ name: b.name, type: b.value.type }));
    const c = complete({ text: composed.text, cursor: composed.cellOffset + cursor, names, cwd: this.cwd });
    return { items: c.items, start: c.start - composed.cellOffset, end: c.end - composed.cellOffset };
  }

  /** Documentation for what is at `cursor` in `code`, or null. */
  inspect(code: string, cursor: number): Inspection | null {
    const { code: plain } = splitMagics(code);
    const composed = this.prelude.compose(plain);
    const checked = checkRecipe(composed.text, this.file, { models: this.lookup });
    return inspectAt({
      text: composed.text,
      cursor: composed.cellOffset + cursor,
      bindings: checked.analysis.bindings,
      describeBinding: (b) => describeLocation(this.prelude.locate(composed, plain, b.declaration.range.start), null),
      describeValue: (b) => this.describeValue(b),
    });
  }

  isComplete(code: string): Completeness {
    return isComplete(code);
  }

  /** Header facts of a bound model: its folder, tensors, parameters, dtypes and layers. */
  private describeValue(b: Binding): string[] | null {
    const v = b.value;
    if (v.type !== "Model" && v.type !== "Delta") return null;
    const lines: string[] = [];
    for (const atom of v.form.keys()) {
      if (atom.kind !== "load" || !atom.family) continue;
      try {
        const h = this.headers.get(atom.path);
        lines.push(
          `- \`${atom.path}\`: ${formatCount(h.tensors.size)} tensors, ${formatCount(h.parameterCount)} parameters, ${h.dtypes.join("/")}, ${h.layerCount} layers`,
        );
      } catch {
        lines.push(`- \`${atom.path}\`: its header cannot be read`);
      }
    }
    if (v.type === "Delta") lines.unshift(`${typeName(v)}`);
    return lines.length ? lines : null;
  }

  /** Diagnostics of a cell without running it (for tools), mapped to the cell's lines. */
  check(code: string): { diagnostics: Diagnostic[]; format: (d: Diagnostic) => string } {
    const { code: plain } = splitMagics(code);
    const composed = this.prelude.compose(plain);
    const checked = checkRecipe(composed.text, this.file, { models: this.lookup });
    const locate: Locator = (pos) => this.prelude.locate(composed, plain, pos);
    return {
      diagnostics: checked.diagnostics.filter((d) => d.severity === "error" || d.range.start.offset >= composed.cellOffset),
      format: (d) => formatCellDiagnostic(d, locate, null, false),
    };
  }
}

/** "2GB", "512MB", "0" (off) or a number of bytes. */
export function parseCacheSize(text: string): number {
  const t = text.trim();
  if (/^0+(\.0*)?\s*[a-zA-Z]*$/.test(t)) return 0;
  return parseSize(/^\d+(\.\d+)?$/.test(t) ? Number(t) : t);
}

function relativePath(cwd: string, path: string): string {
  return path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}

