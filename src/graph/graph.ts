/**
 * The execution graph: what a recipe computes, as tensor operations that any backend can evaluate
 * tensor by tensor. The language lowers a checked program to this; engines (CPU, tfjs) evaluate it.
 *
 * Every node but `stack` produces, for each tensor name of its inputs' model family, one tensor of
 * the same shape; a `stack` node has a tensor list of its own (layers taken from other models and
 * renumbered, see stack.ts). Arithmetic on models and deltas is linear, so it collapses into
 * `affine` nodes.
 */

/** Where in a recipe a node came from, for error messages. */
export interface Origin {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export type NodeId = number;

/** What a node's tensors mean: absolute weights or a task vector (difference of models). */
export type ValueKind = "model" | "delta";

/** A scalar parameter value after the language has checked it. */
export type ParamScalar = number | string | boolean;

/** A parameter value: a scalar, a per-model list (one entry per positional model), or a ramp. */
export type ParamValue = ParamScalar | number[] | Ramp;

/**
 * `ramp(from, to)`: linear interpolation over the layers a where clause selects (or all layers).
 * `gradient(v...)` adds `points`, values at evenly spaced layers (first = from, last = to),
 * interpolated piecewise as mergekit interpolates its gradient lists.
 */
export interface Ramp {
  kind: "ramp";
  from: number;
  to: number;
  points?: number[];
}

/** A `where` selector: a glob on tensor names, or an inclusive range of layer indices. */
export type Selector =
  | { kind: "glob"; pattern: string }
  | { kind: "layers"; from: number; to: number };

export interface WhereClause {
  selector: Selector;
  values: Record<string, ParamValue>;
  origin: Origin;
}

/**
 * Parameters of one call: the call's own values (defaults already filled in from the catalog), then
 * the where clauses in source order; a later clause that matches a tensor overrides earlier ones.
 */
export interface ParamTable {
  values: Record<string, ParamValue>;
  where: WhereClause[];
  /** Number of models the per-model lists are indexed by. */
  modelCount: number;
}

export interface LoadNode {
  id: NodeId;
  kind: "load";
  value: "model";
  /** Absolute path to a Hugging Face folder or a single .safetensors file. */
  path: string;
  origin: Origin;
}

/** Σ coef·input. A model result when the model coefficients sum to 1, otherwise a delta. */
export interface AffineNode {
  id: NodeId;
  kind: "affine";
  value: ValueKind;
  terms: { coef: number; node: NodeId }[];
  origin: Origin;
}

/** A merge method (linear, task_arithmetic, ties, pcb, dare, ...) over positional models and a base. */
export interface MergeNode {
  id: NodeId;
  kind: "merge";
  value: "model";
  method: string;
  models: NodeId[];
  base: NodeId | null;
  params: ParamTable;
  /** "global" methods need whole-model statistics before any tensor can be produced. */
  scope: "tensor" | "global";
  origin: Origin;
}

/** TIES's steps on deltas, for notebooks: trim(delta, density), elect(d...), disjoint_mean(d..., sign?). */
export interface DeltaOpNode {
  id: NodeId;
  kind: "delta_op";
  value: "delta";
  op: "trim" | "elect" | "disjoint_mean";
  inputs: NodeId[];
  params: ParamTable;
  origin: Origin;
}

/** Layers `from..to` (inclusive; `to` null: through the model's last layer) of a node's model. */
export interface LayerRange {
  node: NodeId;
  from: number;
  to: number | null;
}

/**
 * A model assembled from layer ranges of other models (`slice(m, layers a..b)`, and passthrough's
 * stacking of several): the ranges' layers in order, renumbered from 0; embeddings from the first
 * range's model, the other tensors outside the layers (final norm, head) from the last one's.
 * Each output tensor is an input tensor under a new name (stack.ts computes the mapping).
 */
export interface StackNode {
  id: NodeId;
  kind: "stack";
  value: "model";
  parts: LayerRange[];
  origin: Origin;
}

export type GraphNode = LoadNode | AffineNode | MergeNode | DeltaOpNode | StackNode;

export interface SaveEffect {
  kind: "save";
  node: NodeId;
  /** Absolute output folder. */
  path: string;
  dtype: "bf16" | "f16" | "f32";
  shardSize: number; // bytes
  copyTokenizer: boolean;
  /** Replace an existing output folder whatever it holds (save's `overwrite: true`). */
  overwrite: boolean;
  /** NaN and ±Inf in the inputs and the output are allowed (save's `allow_nonfinite: true`). */
  allowNonFinite: boolean;
  /** The output vocabulary (embedding rows re-indexed to it); null: the base's tokenizer copied as it is. */
  tokenizer: TokenizerRequest | null;
  /** `chat_template:` as given: a template name, "auto", Jinja text, or a .jinja file (absolute). */
  chatTemplate: string | null;
  /** The load node whose config.json and tokenizer files are copied (the base, else the first model). */
  configFrom: NodeId;
  /** The recipe text and its hash, for the model card and __metadata__. */
  recipe: { file: string; text: string; hash: string };
  /** The method and models, for the model card. */
  summary: string;
  /** What the model card says about the inputs (absent for a notebook's intermediate results). */
  provenance?: Provenance;
  origin: Origin;
}

export interface TokenizerRequest {
  /** The base's vocabulary, the union of every model's, or the vocabulary of one model (its load node). */
  source: "base" | "union" | NodeId;
  /** Output rows rounded up to a multiple of this (mergekit's pad_to_multiple_of). */
  padToMultipleOf: number | null;
  /** Per-token row sources (mergekit's tokenizer.tokens). */
  tokens: TokenRowRule[];
}

export interface TokenRowRule {
  token: string;
  /** A load node, or "zero". */
  source: NodeId | "zero";
  /** Take the row from the source even for models that have the token. */
  force: boolean;
  /** The source model's row with this id, or of this other token, instead of the token's own. */
  row: number | null;
  fromToken: string | null;
}

/** An input of a saved model: a public name (never an absolute local path), its binding, its role. */
export interface ProvenanceModel {
  name: string;
  binding: string | null;
  role: "base" | "merged";
}

/** Where a saved model came from, with no absolute local path in it (see provenance.ts). */
export interface Provenance {
  models: ProvenanceModel[];
  /** Methods used, outermost first; "arithmetic" for weights combined by + and *. */
  methods: { name: string; paper?: { title: string; authors: string; venue: string; url: string } }[];
  /** The statements that produced the model, in recipe order, absolute paths replaced by names. */
  statements: string;
  /** The recipe's file name (no folder). */
  recipeFile: string;
}

export interface InterferenceEffect {
  kind: "interference";
  models: NodeId[];
  base: NodeId;
  density: number;
  by: "layer" | "tensor";
  /** Add the spectral interference column. */
  spectral: boolean;
  origin: Origin;
}

/** An expression statement whose value is shown: a model summary, or a plain value as text. */
export interface ShowEffect {
  kind: "show";
  node: NodeId | null;
  text: string | null;
  origin: Origin;
}

export interface PrintEffect {
  kind: "print";
  text: string;
  origin: Origin;
}

export type Effect = SaveEffect | InterferenceEffect | ShowEffect | PrintEffect;

export interface Graph {
  nodes: GraphNode[]; // indexed by NodeId
  effects: Effect[]; // in source order
}
