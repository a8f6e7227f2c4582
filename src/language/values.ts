/**
 * Symbolic values the analyzer computes. Models and deltas are linear forms over atoms (loaded models,
 * merge results): a form whose coefficients sum to 1 is a Model, to 0 a Delta (spec §4); anything else
 * is only legal as an intermediate step such as the `0.3*a` in `0.3*a + 0.7*b`.
 */
import type { CallExpr, Range } from "./ast.js";
import type { ParamTable } from "../graph/graph.js";

/** What the analyzer knows of a model family from the safetensors headers. */
export interface ModelFamily {
  path: string;
  tensors: ReadonlyMap<string, { shape: readonly number[]; dtype: string }>;
  layerCount: number;
  /** Floating dtype most tensors are stored in (BF16, F16, F32...), if any. */
  floatDType: string | null;
}

export interface LoadAtom {
  kind: "load";
  id: number;
  path: string;
  call: CallExpr;
  family: ModelFamily | null;
  /** The `dtype:` given to model(...), if any. */
  dtype: string | null;
  /** Where the reference resolved (local folder, or Hugging Face cache snapshot), for hovers. */
  source?: string;
}

export interface MergeAtom {
  kind: "merge";
  id: number;
  method: string;
  call: CallExpr;
  models: ModelLike[];
  base: ModelLike | null;
  params: ParamTable;
  scope: "tensor" | "global";
  family: ModelFamily | null;
}

export interface DeltaOpAtom {
  kind: "delta_op";
  id: number;
  op: "trim" | "elect" | "disjoint_mean";
  call: CallExpr;
  inputs: ModelLike[];
  params: ParamTable;
  family: ModelFamily | null;
}

/** A model assembled from layer ranges (slice, passthrough stacking): graph.ts StackNode. */
export interface StackAtom {
  kind: "stack";
  id: number;
  call: CallExpr;
  /** Layers from..to (inclusive; to null: through the last layer) of each model, in order. */
  parts: { model: ModelLike; from: number; to: number | null }[];
  family: ModelFamily | null;
}

export type Atom = LoadAtom | MergeAtom | DeltaOpAtom | StackAtom;

/** Σ coef·atom. */
export type LinearForm = Map<Atom, number>;

export interface ModelLike {
  type: "Model" | "Delta" | "Scaled";
  form: LinearForm;
  range: Range;
}

export type Value =
  | { type: "Number"; value: number }
  | { type: "String"; value: string }
  | { type: "Bool"; value: boolean }
  | { type: "List"; items: Value[] }
  /** ramp(from, to); gradient(v...) also has its evenly spaced `points` (first = from, last = to). */
  | { type: "Ramp"; from: number; to: number; points?: number[] }
  | { type: "Layers"; from: number; to: number }
  /** token(...): where one output token's embedding row comes from. */
  | { type: "Token"; rule: TokenRule }
  /** `lo..hi` (only as search's space). */
  | { type: "Interval"; from: number; to: number }
  /** search(...): a parameter's space of values, filled in by optimize(...) (src/search). */
  | { type: "Search"; call: CallExpr; domain: SearchDomain; perModel: boolean }
  | ModelLike
  | { type: "Report"; call: CallExpr; report: ReportRequest }
  | { type: "Effect"; call: CallExpr; effect: EffectRequest }
  | { type: "Function"; name: string }
  | { type: "Unknown" };

/** The values one search space ranges over. `steps`: the grid's points over an interval (null: from the budget). */
export type SearchDomain =
  | { kind: "interval"; from: number; to: number; steps: number | null; log: boolean }
  | { kind: "choice"; values: number[] };

/** optimize(...): what the search scores and how it searches (see src/search/options.ts). */
export interface OptimizeRequest {
  model: ModelLike;
  metric: string | null;
  goal: "max" | "min";
  strategy: "grid" | "random" | "cmaes";
  budget: number;
  seed: number;
  parallel: number;
  timeout: number;
  out: string | null;
  dtype: string | null;
  sigma: number;
}

export interface ReportRequest {
  models: ModelLike[];
  base: ModelLike;
  density: number;
  by: "layer" | "tensor";
  spectral: boolean;
}

export interface TokenRule {
  token: string;
  source: LoadAtom | "zero";
  force: boolean;
  row: number | null;
  fromToken: string | null;
}

export interface TokenizerChoice {
  source: "base" | "union" | LoadAtom;
  tokens: TokenRule[];
  padToMultipleOf: number | null;
}

export type EffectRequest =
  | {
      kind: "save";
      model: ModelLike;
      path: string;
      /** Where the path string is, for diagnostics about the output folder. */
      pathRange: Range;
      dtype: string | null;
      shardSize: number;
      copyTokenizer: boolean;
      overwrite: boolean;
      allowNonFinite: boolean;
      tokenizer: TokenizerChoice | null;
      /** As given; a .jinja file made absolute. */
      chatTemplate: string | null;
    }
  | { kind: "print"; values: Value[] }
  | ({ kind: "optimize" } & OptimizeRequest);

export const UNKNOWN: Value = { type: "Unknown" };

const EPS = 1e-9;

/** Σ coef over model atoms: delta atoms (TIES's step outputs) weigh 0, like any task vector. */
export function formWeight(form: LinearForm): number {
  let s = 0;
  for (const [atom, c] of form) if (atom.kind !== "delta_op") s += c;
  return s;
}

export function classify(form: LinearForm, range: Range): ModelLike {
  const w = formWeight(form);
  const type = Math.abs(w - 1) < EPS ? "Model" : Math.abs(w) < EPS ? "Delta" : "Scaled";
  return { type, form, range };
}

export function combine(a: LinearForm, b: LinearForm, sign: 1 | -1): LinearForm {
  const out = new Map(a);
  for (const [atom, c] of b) {
    const v = (out.get(atom) ?? 0) + sign * c;
    if (Math.abs(v) < EPS) out.delete(atom);
    else out.set(atom, v);
  }
  return out;
}

export function scale(a: LinearForm, k: number): LinearForm {
  const out: LinearForm = new Map();
  if (k === 0) return out;
  for (const [atom, c] of a) out.set(atom, c * k);
  return out;
}

export function isModelLike(v: Value): v is ModelLike {
  return v.type === "Model" || v.type === "Delta" || v.type === "Scaled";
}

/** Human name of a value's type, for messages. */
export function typeName(v: Value): string {
  switch (v.type) {
    case "Model":
      return "a model";
    case "Delta":
      return "a task vector (a difference of models)";
    case "Scaled":
      return "a scaled model";
    case "Number":
      return "a number";
    case "String":
      return "a string";
    case "Bool":
      return "a boolean";
    case "List":
      return "a list";
    case "Ramp":
      return "a ramp";
    case "Layers":
      return "a layer range";
    case "Token":
      return "a token rule";
    case "Interval":
      return "a range of numbers (lo..hi)";
    case "Search":
      return "a search space";
    case "Report":
      return "a report";
    case "Effect":
      return "an effect (it returns nothing)";
    case "Function":
      return "a function";
    default:
      return "an unknown value";
  }
}

/** Text shown when an expression statement's value is printed (spec §3): `1 + 2` shows `3`. */
export function valueText(v: Value): string | null {
  switch (v.type) {
    case "Number":
      return formatNumber(v.value);
    case "String":
      return v.value;
    case "Bool":
      return String(v.value);
    case "List":
      return "[" + v.items.map((i) => valueText(i) ?? "?").join(", ") + "]";
    case "Ramp":
      return v.points ? `gradient(${v.points.map(formatNumber).join(", ")})` : `ramp(${formatNumber(v.from)}, ${formatNumber(v.to)})`;
    case "Layers":
      return v.from === v.to ? `layers ${v.from}` : `layers ${v.from}..${v.to}`;
    default:
      return null;
  }
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const s = String(Number(n.toPrecision(12)));
  return s;
}
