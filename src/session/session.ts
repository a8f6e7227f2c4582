/**
 * A notebook session: the recipe state shared by the cells of one kernel. Cells that pass the checks
 * are kept as a prelude, so later cells see their bindings; a new cell is analyzed together with the
 * prelude (diagnostics are mapped back to the cell's own lines) and only its own statements run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Effect, Graph } from "../graph/graph.js";
import { EngineAbortedError, EngineError } from "../engine/errors.js";
import { InterferenceInputError } from "../inspect/index.js";
import { HeaderCache, ModelFormatError } from "../io/index.js";
import type { Binding } from "../language/analyzer.js";
import type { Diagnostic } from "../language/diagnostics.js";
import { headerLookup } from "../language/header-lookup.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { checkRecipe, type CheckedRecipe } from "../language/service.js";
import { typeName, valueText } from "../language/values.js";
import { describeLocation, Prelude, type ComposedSource } from "./cell-source.js";
import { diagnosticsError, formatCellDiagnostic, runtimeError, type CellError, type Locator } from "./cell-error.js";
import { CellResult } from "./cell-result.js";
import { complete, type Completion, type NameInfo } from "./completion.js";
import { nodeLabeler, relativePath, saveModel, showInterference, showValue, type EffectContext } from "./effects.js";
import { inspectAt, type Inspection } from "./inspection.js";
import { isComplete, type Completeness } from "./is-complete.js";
import { MagicFailure, parseCacheSize, runMagic } from "./magic-commands.js";
import { magicHelp, splitMagics } from "./magics.js";
import { escapeHtml, formatCount, type MimeBundle } from "./mimebundle.js";
import type { CellOutput } from "./output.js";
import { DEFAULT_CACHE_BYTES, TensorCache } from "./tensor-cache.js";
import { lowerToGraph } from "../graph/lower.js";
import { runSearch, type MetricFunction, type SearchProgress, type SearchResult } from "../search/search-runner.js";
import { scorePlot } from "../search/plots.js";
import { searchTableHtml, searchTableText } from "../search/table.js";

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
  /** The score of a candidate of the cell's optimize(...), instead of its metric command. */
  metric?: MetricFunction;
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
  /** The result of the last optimize(...) cell. */
  lastSearch: SearchResult | null = null;

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

  /**
   * Runs a cell and collects its outputs (for code: tslab notebooks, scripts). Errors are in the
   * result (`result.ok`, `result.error`, `result.throwIfError()`), not thrown.
   */
  async run(cell: string, options: RunOptions = {}): Promise<CellResult> {
    const result = new CellResult();
    const outcome = await this.execute(cell, result.sink(), options);
    if (outcome.status === "error") result.error = outcome.error;
    return result;
  }

  /** Runs a cell, sending its outputs to `out` as they come (what the kernel does). */
  async execute(cell: string, out: CellOutput, options: RunOptions = {}): Promise<CellOutcome> {
    if (this.running) throw new Error("a cell is already running in this session");
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) controller.abort();
    this.running = controller;
    try {
      return await this.runCell(cell, out, options.executionCount ?? null, controller.signal, options.metric ?? null);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.running = null;
    }
  }

  private async runCell(cell: string, out: CellOutput, count: number | null, signal: AbortSignal, metric: MetricFunction | null): Promise<CellOutcome> {
    const { magics, code } = splitMagics(cell);
    try {
      for (const m of magics) runMagic(m, out, count, this);
    } catch (e) {
      if (e instanceof MagicFailure) return { status: "error", error: e.cellError };
      throw e;
    }
    if (code.trim() === "") return { status: "ok" };

    const composed = this.prelude.compose(code);
    const checked = checkRecipe(composed.text, this.file, { models: this.lookup, effectsFrom: composed.cellOffset });
    const locate: Locator = (pos) => this.prelude.locate(composed, code, pos);
    // A cell may define a merge with search spaces and a later cell search it: a cell of bindings
    // only is not held to "spaces need an optimize(...)"; a cell that shows or saves something is.
    const definesOnly = checked.analysis.program.statements.every((s) => s.range.start.offset < composed.cellOffset || s.kind === "AssignStmt");
    const errors = checked.diagnostics.filter((d) => d.severity === "error" && !(definesOnly && d.code === "search-without-optimize"));
    if (errors.length === 0 && !checked.graph) checked.graph = lowerToGraph(checked.analysis, checked.text);
    if (errors.length > 0 || !checked.graph) {
      const error = diagnosticsError(errors.length ? errors : checked.diagnostics, locate, count);
      if (errors.some((d) => d.range.start.offset < composed.cellOffset)) {
        // Earlier cells are checked again with every new one: a model changed or gone since breaks them all.
        error.traceback.push("an earlier cell no longer checks (did a model's files change?): fix it, or forget every earlier cell with %reset");
      }
      return { status: "error", error };
    }
    const warnings = checked.diagnostics.filter((d) => d.severity === "warning" && d.range.start.offset >= composed.cellOffset);
    if (warnings.length) out.stream("stderr", warnings.map((d) => formatCellDiagnostic(d, locate, count)).join("\n") + "\n");

    // The cell is sound: its bindings hold from now on, whatever its effects do at run time.
    this.prelude.append(code, count);
    const run: CellRun = { code, composed, checked, locate, count, out, signal };
    try {
      await this.runEffects(run, checked.graph);
      const optimize = checked.analysis.optimize;
      if (optimize && optimize.call.range.start.offset >= composed.cellOffset) await this.runSearchCell(run, metric);
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
    const label = nodeLabeler(graph, run.checked.analysis);
    const ctx: EffectContext = {
      cwd: this.cwd,
      headers: this.headers,
      cache: this.cache,
      scratchDir: () => this.scratchDir(),
      checked: run.checked,
      out: run.out,
      signal: run.signal,
    };
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
            emit(await showValue(effect, graph, label, ctx));
            break;
          case "interference":
            emit(await showInterference(effect, graph, label, ctx));
            break;
          case "save":
            await saveModel(effect, graph, ctx);
            break;
        }
      } catch (e) {
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { effect });
      }
    }
  }

  /** The cell's optimize(...): a live table updated on every candidate, then the best and the plot. */
  private async runSearchCell(run: CellRun, metric: MetricFunction | null): Promise<void> {
    const rows: SearchProgress[] = [];
    const id = `mergelang-search-${run.count ?? 0}-${Date.now()}`;
    const show = (): MimeBundle => ({ "text/plain": searchTableText(rows), "text/html": searchTableHtml(rows) });
    const result = await runSearch(run.checked, {
      ...(metric ? { metric } : {}),
      signal: run.signal,
      headers: this.headers,
      cache: this.cache,
      onNote: (line) => run.out.stream("stderr", `note: ${line}\n`),
      onProgress: (p) => {
        rows.push(p);
        run.out.display(show(), { id, update: rows.length > 1 });
      },
    });
    this.lastSearch = result;
    const best = result.best;
    const line = `best ${best.score} with ${result.dimensions.map((d, i) => `${d} ${best.values[i]}`).join(", ")} (candidate ${best.index} of ${result.candidates.length}); wrote ${relativePath(this.cwd, result.files.bestRecipe)}`;
    const plot = scorePlot(result.candidates, result.goal, `${result.candidates.length} evaluations`);
    run.out.result({ "text/plain": line, "text/html": `<p>${escapeHtml(line)}</p>${plot}`, "image/svg+xml": plot });
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
