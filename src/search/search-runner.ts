/**
 * Running a recipe's optimize(...): the strategy proposes points, each becomes a candidate recipe (the
 * search(...) calls replaced by values), the candidate is merged and scored, the journal records it.
 * Two kinds of metric:
 * - a command (the recipe's `metric:`): the candidate is saved to a folder under `out`, the command
 *   runs on it (up to `parallel` at a time), the folder is removed;
 * - a function (the API, notebooks): the candidate is merged in memory tensor by tensor through the
 *   notebook's evaluator, its tensor cache shared by every candidate (models are read once, and a
 *   merge at another λ reuses the merge at λ = 1).
 * At the end: the best recipe with its values filled in (next to the recipe), the score plot and, for
 * a grid over two dimensions, a heat map (in `out`).
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import type { Graph, NodeId, SaveEffect } from "../graph/graph.js";
import { HeaderCache } from "../io/index.js";
import { headerLookup } from "../language/header-lookup.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { checkRecipe, type CheckedRecipe } from "../language/service.js";
import type { OptimizeRequest } from "../language/values.js";
import { runGraph } from "../runner/recipe-runner.js";
import { TensorEvaluator } from "../session/tensor-eval.js";
import { DEFAULT_CACHE_BYTES, TensorCache } from "../session/tensor-cache.js";
import { Journal, type JournalEntry } from "./journal.js";
import { runMetricCommand } from "./metric-command.js";
import { gridHeatmap, scorePlot } from "./plots.js";
import { applyEdits, SearchSpace, type TextEdit } from "./space.js";
import { makeStrategy, type StrategyName } from "./strategies.js";

/** A candidate merged in memory, for a metric function: tensors as float32 (shared: do not modify). */
export interface CandidateModel {
  index: number;
  values: Record<string, number>;
  tensorNames(): string[];
  shape(name: string): readonly number[];
  tensor(name: string): Promise<Float32Array>;
}

export type MetricFunction = (model: CandidateModel) => number | Promise<number>;

export interface Candidate {
  index: number;
  values: number[];
  unit: number[];
  score: number;
  seconds: number;
  /** Read from the journal of an earlier run, not evaluated now. */
  resumed: boolean;
}

export interface SearchProgress {
  dimensions: string[];
  goal: "max" | "min";
  candidate: Candidate;
  best: Candidate;
  done: number;
  /** The budget, or the grid's size when smaller. */
  total: number;
  status: string;
}

export interface SearchOptions {
  /** A metric function instead of the recipe's metric command. */
  metric?: MetricFunction;
  /** Settings that override the recipe's optimize(...) arguments (e.g. the CLI's --budget). */
  overrides?: Partial<Pick<OptimizeRequest, "budget" | "strategy" | "seed" | "parallel" | "out">>;
  /** Discard an existing journal instead of resuming it. */
  fresh?: boolean;
  onProgress?: (p: SearchProgress) => void;
  /** Lines for the user (grid truncated, resumed candidates). */
  onNote?: (line: string) => void;
  signal?: AbortSignal;
  headers?: HeaderCache;
  cache?: TensorCache;
  threads?: number;
}

export interface SearchResult {
  dimensions: string[];
  candidates: Candidate[];
  best: Candidate;
  goal: "max" | "min";
  /** The recipe with the best values filled in, and where it was written. */
  bestRecipe: string;
  files: { bestRecipe: string; journal: string; plot: string; heatmap: string | null };
}

export class SearchError extends Error {
  override readonly name = "SearchError";
}

/** Searches a checked recipe (it must have no errors and an optimize(...) statement). */
export async function runSearch(checked: CheckedRecipe, options: SearchOptions = {}): Promise<SearchResult> {
  const analysis = checked.analysis;
  const optimize = analysis.optimize;
  if (!optimize || checked.diagnostics.some((d) => d.severity === "error")) throw new SearchError(`${checked.file}: the recipe has errors or no optimize(...) statement`);
  const request: OptimizeRequest = { ...optimize.request, ...options.overrides };
  const metric = options.metric ?? null;
  if (!metric && request.metric === null) {
    const at = optimize.call.range.start;
    throw new SearchError(`${checked.file}:${at.line}:${at.column}: optimize(...) has no metric: give it metric: "your-eval {model}" (a command printing a number), or pass a metric function through the API`);
  }
  const space = new SearchSpace(analysis.searchSites);
  const names = space.dimensions.map((d) => d.name);
  const dir = dirname(checked.file);
  const stem = basename(checked.file, extname(checked.file));
  const out = request.out ? (isAbsolute(request.out) ? request.out : resolve(dir, request.out)) : join(dir, `${stem}.search`);
  mkdirSync(out, { recursive: true });
  const journal = Journal.open(
    join(out, "journal.jsonl"),
    {
      kind: "search",
      version: 1,
      recipe: createHash("sha256").update(checked.text).digest("hex"),
      strategy: request.strategy,
      seed: request.seed,
      goal: request.goal,
      dimensions: names,
    },
    options.fresh === true,
  );
  const parallel = metric ? 1 : request.parallel;
  const strategy = makeStrategy(request.strategy as StrategyName, space.dimensions, { budget: request.budget, seed: request.seed, batch: parallel, sigma: request.sigma });
  const total = Math.min(request.budget, strategy.planned ?? Infinity);
  if (strategy.planned !== null && strategy.planned > request.budget) {
    options.onNote?.(`the grid has ${strategy.planned} points but the budget is ${request.budget}: only the first ${request.budget} are evaluated (raise budget:, or give search(..., steps: N))`);
  }
  if (journal.entries.size > 0) options.onNote?.(`resuming: ${journal.entries.size} candidate${journal.entries.size === 1 ? "" : "s"} already in ${journal.path}`);

  const headers = options.headers ?? new HeaderCache();
  const evaluator = new CandidateEvaluator(checked, space, request, out, headers, options, metric);
  const candidates: Candidate[] = [];
  let best: Candidate | null = null;
  const better = (a: Candidate, b: Candidate | null): boolean => b === null || (request.goal === "max" ? a.score > b.score : a.score < b.score);
  try {
    while (candidates.length < request.budget) {
      const batch = strategy.next();
      if (!batch) break;
      const points = batch.slice(0, request.budget - candidates.length);
      const results = await mapLimit(points, parallel, async (unit, k): Promise<Candidate> => {
        const index = candidates.length + k;
        const values = space.decode(unit);
        const known = journal.entries.get(index);
        if (known && sameValues(known, names, values)) return { index, values, unit, score: known.score, seconds: known.seconds, resumed: true };
        if (options.signal?.aborted) throw abortError();
        const started = performance.now();
        const score = await evaluator.score(index, values);
        const candidate = { index, values, unit, score, seconds: (performance.now() - started) / 1000, resumed: false };
        journal.append(journalEntry(candidate, names));
        return candidate;
      });
      for (const c of results) {
        candidates.push(c);
        if (better(c, best)) best = c;
        options.onProgress?.({ dimensions: names, goal: request.goal, candidate: c, best: best!, done: candidates.length, total, status: strategy.status() });
      }
      if (points.length === batch.length) strategy.report(results.map((c) => (request.goal === "max" ? -c.score : c.score)));
    }
  } finally {
    evaluator.close();
    rmSync(join(out, "candidates"), { recursive: true, force: true });
  }
  if (!best) throw new SearchError(`${checked.file}: the search evaluated no candidate`);
  return finish(checked, space, request, out, journal.path, candidates, best);
}

/** Merges and scores candidates, with one header cache, tensor cache and scratch folder for all. */
class CandidateEvaluator {
  private readonly cache: TensorCache;
  private scratch: string | null = null;
  private readonly lookup: ModelLookup;

  constructor(
    private readonly checked: CheckedRecipe,
    private readonly space: SearchSpace,
    private readonly request: OptimizeRequest,
    private readonly out: string,
    private readonly headers: HeaderCache,
    private readonly options: SearchOptions,
    private readonly metric: MetricFunction | null,
  ) {
    this.cache = options.cache ?? new TensorCache(DEFAULT_CACHE_BYTES);
    this.lookup = headerLookup(headers);
  }

  label(index: number, values: readonly number[]): string {
    return `candidate ${index} (${this.space.describe(values)})`;
  }

  async score(index: number, values: number[]): Promise<number> {
    return this.metric ? this.scoreInMemory(index, values) : this.scoreWithCommand(index, values);
  }

  /** The candidate's recipe with the optimize(...) statement replaced by `replacement`. */
  private candidate(values: readonly number[], replacement: string): CheckedRecipe {
    const call = this.checked.analysis.optimize!.call;
    const edit: TextEdit = { start: call.range.start.offset, end: call.range.end.offset, text: replacement };
    const text = applyEdits(this.checked.text, [...this.space.edits(values), edit]);
    const checked = checkRecipe(text, this.checked.file, { models: this.lookup });
    const errors = checked.diagnostics.filter((d) => d.severity === "error");
    if (errors.length || !checked.graph) {
      const e = errors[0];
      throw new SearchError(`${this.checked.file}:${e?.range.start.line}:${e?.range.start.column}: with ${this.space.describe(values)} the recipe does not check: ${e?.message ?? "no graph"}`);
    }
    return checked;
  }

  private modelSource(): string {
    const arg = this.checked.analysis.optimize!.call.args[0]!.value!;
    return this.checked.text.slice(arg.range.start.offset, arg.range.end.offset);
  }

  private async scoreWithCommand(index: number, values: number[]): Promise<number> {
    const folder = join(this.out, "candidates", String(index));
    rmSync(folder, { recursive: true, force: true });
    const dtype = this.request.dtype ? `, dtype: ${JSON.stringify(this.request.dtype)}` : "";
    const checked = this.candidate(values, `save(${this.modelSource()}, ${JSON.stringify(folder)}, copy_tokenizer: true${dtype})`);
    const graph = checked.graph!;
    const save = graph.effects.find((e): e is SaveEffect => e.kind === "save" && e.path === folder);
    try {
      await runGraph({ nodes: graph.nodes, effects: [save!] }, { headers: this.headers, ...(this.options.threads ? { threads: this.options.threads } : {}), ...(this.options.signal ? { signal: this.options.signal } : {}) });
      return await runMetricCommand({
        command: this.request.metric!,
        folder,
        label: this.label(index, values),
        timeoutSeconds: this.request.timeout,
        cwd: dirname(this.checked.file),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  private async scoreInMemory(index: number, values: number[]): Promise<number> {
    const call = this.checked.analysis.optimize!.call;
    const checked = this.candidate(values, this.modelSource());
    const graph = checked.graph!;
    const node = showNode(graph, call.range.start.line);
    const evaluator = new TensorEvaluator(graph, node, this.cache, this.headers, {
      scratchDir: () => (this.scratch ??= mkdtempSync(join(this.out, ".scratch-"))),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    try {
      const tensors = evaluator.tensors();
      const byName = new Map(tensors.map((t) => [t.name, t]));
      const named = Object.fromEntries(this.space.dimensions.map((d, i) => [d.name, values[i]!]));
      const model: CandidateModel = {
        index,
        values: named,
        tensorNames: () => tensors.map((t) => t.name),
        shape: (name) => {
          const t = byName.get(name);
          if (!t) throw new SearchError(`${this.label(index, values)}: the merged model has no tensor "${name}"`);
          return t.shape;
        },
        tensor: async (name) => {
          const t = byName.get(name);
          if (!t) throw new SearchError(`${this.label(index, values)}: the merged model has no tensor "${name}"`);
          return evaluator.evaluate(t);
        },
      };
      const score = await this.metric!(model);
      if (typeof score !== "number" || !Number.isFinite(score)) {
        throw new SearchError(`${this.label(index, values)}: the metric function returned ${String(score)}, not a finite number`);
      }
      return score;
    } finally {
      evaluator.close();
    }
  }

  close(): void {
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
    this.scratch = null;
  }
}

/** The node of the model statement that stands where optimize(...) was. */
function showNode(graph: Graph, line: number): NodeId {
  const shown = graph.effects.filter((e) => e.kind === "show" && e.node !== null && e.origin.line === line);
  const last = shown[shown.length - 1];
  if (!last || last.kind !== "show" || last.node === null) throw new SearchError("internal: the candidate's model was not found in its graph");
  return last.node;
}

function journalEntry(c: Candidate, names: readonly string[]): JournalEntry {
  return { kind: "candidate", index: c.index, values: Object.fromEntries(names.map((n, i) => [n, c.values[i]!])), unit: c.unit, score: c.score, seconds: c.seconds, at: new Date().toISOString() };
}

/** A journal entry is the same candidate when it holds the same parameter values. */
function sameValues(e: JournalEntry, names: readonly string[], values: readonly number[]): boolean {
  return names.every((n, i) => e.values[n] === values[i]);
}

function abortError(): Error {
  return Object.assign(new Error("the search was stopped"), { name: "AbortError" });
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === null) {
      const i = next++;
      try {
        results[i] = await f(items[i]!, i);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw failure;
  return results;
}

/** The best recipe (next to the recipe, so its relative paths still hold), the plots, in `out`. */
function finish(checked: CheckedRecipe, space: SearchSpace, request: OptimizeRequest, out: string, journalPath: string, candidates: Candidate[], best: Candidate): SearchResult {
  const call = checked.analysis.optimize!.call;
  const optimizeText = checked.text.slice(call.range.start.offset, call.range.end.offset);
  const commented = optimizeText.split("\n").map((l) => `# ${l}`).join("\n");
  const header = `# mergelang search: best of ${candidates.length} candidates (${request.strategy}, seed ${request.seed}): score ${best.score} with ${space.describe(best.values)}\n`;
  const bestRecipe = header + applyEdits(checked.text, [...space.edits(best.values), { start: call.range.start.offset, end: call.range.end.offset, text: commented }]);
  const dir = dirname(checked.file);
  const stem = basename(checked.file, extname(checked.file));
  const bestPath = join(dir, `${stem}.best${extname(checked.file) || ".merge"}`);
  writeAtomically(bestPath, bestRecipe);
  const plot = join(out, "scores.svg");
  writeAtomically(plot, scorePlot(candidates.map((c) => ({ index: c.index, score: c.score })), request.goal, `${stem}: ${request.strategy} search, ${candidates.length} evaluations`));
  let heatmap: string | null = null;
  if (request.strategy === "grid" && space.size === 2) {
    const axis = (i: number): number[] => [...new Set(candidates.map((c) => c.values[i]!))].sort((a, b) => a - b);
    const rows = axis(0);
    const cols = axis(1);
    const at = new Map(candidates.map((c) => [`${c.values[0]}|${c.values[1]}`, c.score]));
    heatmap = join(out, "heatmap.svg");
    writeAtomically(heatmap, gridHeatmap({ name: space.dimensions[0]!.name, values: rows }, { name: space.dimensions[1]!.name, values: cols }, (r, c) => at.get(`${rows[r]}|${cols[c]}`), `${stem}: grid scores`));
  }
  return { dimensions: space.dimensions.map((d) => d.name), candidates, best, goal: request.goal, bestRecipe, files: { bestRecipe: bestPath, journal: journalPath, plot, heatmap } };
}

/** Written to a temporary sibling and renamed into place, so a reader never sees half a file. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
