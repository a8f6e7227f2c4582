/**
 * mergekit's merge methods and how each maps to a recipe call: the function, the settings that
 * mergekit's method name implies (DARE-TIES is dare with consensus "sum"), its global and per-model
 * parameters with mergekit's defaults, and how their values translate. Where mergelang's parameter
 * means something else the translation says so (DELLA's epsilon is a half-width in mergekit and the
 * full spread in mergelang; mergekit's rescale keeps the L1 norm).
 */
import type { ParamScalar } from "../graph/graph.js";
import type { SettingValue } from "./settings.js";

export type Converted = { ok: true; value: ParamScalar } | { ok: false; message: string; unsupported?: boolean };

export interface GlobalParam {
  /** The recipe parameter, or null when the value has no effect (mergekit ignores it too). */
  ours: string | null;
  /** mergekit's default; undefined: required (or absent when `optional`). */
  default?: SettingValue;
  optional?: boolean;
  type: "number" | "bool";
  /** Value translation (identity when absent). */
  convert?: (v: SettingValue) => Converted;
  /** A linear factor the value is multiplied by (so gradients stay gradients). */
  factor?: number;
}

export interface TensorParam {
  ours: string | null;
  default?: number;
  /** Required for every model but the base. */
  required?: boolean;
  factor?: number;
}

export type BaseUse =
  /** Task vectors: the base is required and is not one of the merged models. */
  | "required"
  /** Optional base (task vectors against it when given). */
  | "optional"
  /** The method has no base: every listed model is merged. */
  | "none"
  /** Two models, one of them the base (slerp, nearswap): the base is the starting point. */
  | "pair"
  /** No base of its own: a base_model is one more model merged (mergekit adds it to the inputs). */
  | "joins";

export interface MethodSpec {
  ours: string;
  fixed: Record<string, ParamScalar>;
  base: BaseUse;
  /** Models merged besides the base. */
  minModels: number;
  maxModels?: number;
  globals: Record<string, GlobalParam>;
  tensors: Record<string, TensorParam>;
  /** The translation when the config sets `rescale: true` (mergekit's L1 rescale), if it differs. */
  whenRescaled?: MethodSpec;
}

const ok = (value: ParamScalar): Converted => ({ ok: true, value });

/** mergekit's rescale: the L1 norm of each task vector is kept. */
const normRescale = (v: SettingValue): Converted => ok(v === true ? "l1" : false);

const noEffect = (type: "number" | "bool", dflt: SettingValue): GlobalParam => ({ ours: null, type, default: dflt });

/** The global parameters of mergekit's generalized task arithmetic methods. */
const gta = (normalize: boolean): Record<string, GlobalParam> => ({
  normalize: { ours: "normalize", type: "bool", default: normalize },
  lambda: { ours: "lambda", type: "number", default: 1 },
  int8_mask: noEffect("bool", false),
});

const weight: TensorParam = { ours: "weights", required: true };

/** The SVD-based methods' `svd` choice as a YAML flag. */
const exactSvd: GlobalParam = { ours: "svd", type: "bool", default: false, convert: (v) => ok(v === true ? "exact" : "auto") };
const density: TensorParam = { ours: "density", default: 1 };

export const METHODS: Record<string, MethodSpec> = {
  linear: {
    ours: "linear",
    fixed: {},
    base: "none",
    minModels: 1,
    globals: { normalize: { ours: "normalize", type: "bool", default: true } },
    tensors: { weight },
  },
  task_arithmetic: {
    ours: "task_arithmetic",
    fixed: {},
    base: "required",
    minModels: 1,
    // normalize is folded into the weights (task_arithmetic has no normalize of its own).
    globals: { ...gta(false), normalize: { ours: null, type: "bool", default: false }, rescale: noEffect("bool", false) },
    tensors: { weight, density: { ours: null, default: 1 } },
  },
  ties: {
    ours: "ties",
    fixed: { consensus: "sum" },
    base: "required",
    minModels: 1,
    globals: { ...gta(true), rescale: { ours: null, type: "bool", default: false } },
    tensors: { weight, density },
    // TIES's trim with the L1 rescale is breadcrumbs without outliers: gamma 0 keeps the top density.
    whenRescaled: {
      ours: "breadcrumbs",
      fixed: { consensus: "sum", gamma: 0 },
      base: "required",
      minModels: 1,
      globals: { ...gta(true), rescale: { ours: "rescale", type: "bool", default: false, convert: normRescale } },
      tensors: { weight, density },
    },
  },
  dare_ties: {
    ours: "dare",
    fixed: { consensus: "sum" },
    base: "required",
    minModels: 1,
    globals: { ...gta(false), rescale: { ours: "rescale", type: "bool", default: true, convert: normRescale } },
    tensors: { weight, density },
  },
  dare_linear: {
    ours: "dare",
    fixed: { consensus: "none" },
    base: "required",
    minModels: 1,
    globals: { ...gta(false), rescale: { ours: "rescale", type: "bool", default: true, convert: normRescale } },
    tensors: { weight, density },
  },
  breadcrumbs: {
    ours: "breadcrumbs",
    fixed: { consensus: "none" },
    base: "required",
    minModels: 1,
    globals: { ...gta(false), rescale: { ours: "rescale", type: "bool", default: false, convert: normRescale } },
    tensors: { weight, density, gamma: { ours: "gamma", default: 0.01 } },
  },
  breadcrumbs_ties: {
    ours: "breadcrumbs",
    fixed: { consensus: "sum" },
    base: "required",
    minModels: 1,
    globals: { ...gta(false), rescale: { ours: "rescale", type: "bool", default: false, convert: normRescale } },
    tensors: { weight, density, gamma: { ours: "gamma", default: 0.01 } },
  },
  della: {
    ours: "della",
    fixed: { consensus: "sum" },
    base: "required",
    minModels: 1,
    globals: { ...gta(true), rescale: { ours: "rescale", type: "bool", default: true, convert: normRescale } },
    // mergekit's epsilon is the half-width of the keep probabilities; mergelang's is their spread.
    tensors: { weight, density, epsilon: { ours: "epsilon", default: 0.15, factor: 2 } },
  },
  della_linear: {
    ours: "della",
    fixed: { consensus: "none" },
    base: "required",
    minModels: 1,
    globals: { ...gta(false), rescale: { ours: "rescale", type: "bool", default: true, convert: normRescale } },
    tensors: { weight, density, epsilon: { ours: "epsilon", default: 0.15, factor: 2 } },
  },
  sce: {
    ours: "sce",
    fixed: {},
    base: "required",
    minModels: 1,
    globals: { select_topk: { ours: "select_topk", type: "number", default: 1 }, int8_mask: noEffect("bool", false) },
    tensors: {},
  },
  model_stock: {
    ours: "model_stock",
    fixed: {},
    base: "required",
    minModels: 2,
    globals: { filter_wise: { ours: "filter_wise", type: "bool", default: false } },
    tensors: {},
  },
  slerp: {
    ours: "slerp",
    fixed: {},
    base: "pair",
    minModels: 1,
    maxModels: 1,
    globals: { t: { ours: "t", type: "number" } },
    tensors: {},
  },
  nuslerp: {
    ours: "nuslerp",
    fixed: {},
    base: "optional",
    minModels: 2,
    maxModels: 2,
    globals: {
      nuslerp_flatten: { ours: "flatten", type: "bool", default: true },
      // One angle per column; with nuslerp_flatten: true (the default) it has no effect, as in mergekit.
      nuslerp_row_wise: { ours: "row_wise", type: "bool", default: false },
    },
    tensors: { weight },
  },
  multislerp: {
    ours: "multislerp",
    fixed: {},
    base: "optional",
    minModels: 2,
    globals: {
      normalize_weights: { ours: "normalize_weights", type: "bool", default: true },
      eps: { ours: "eps", type: "number", default: 1e-8 },
    },
    tensors: { weight },
  },
  karcher: {
    ours: "karcher",
    fixed: {},
    base: "joins",
    minModels: 2,
    globals: { max_iter: { ours: "max_iter", type: "number", default: 10 }, tol: { ours: "tol", type: "number", default: 1e-5 } },
    tensors: {},
  },
  nearswap: {
    ours: "nearswap",
    fixed: {},
    base: "pair",
    minModels: 1,
    maxModels: 1,
    globals: { t: { ours: "t", type: "number" } },
    tensors: {},
  },
  arcee_fusion: {
    ours: "arcee_fusion",
    fixed: {},
    base: "required",
    minModels: 1,
    maxModels: 1,
    globals: {},
    tensors: {},
  },
  ram: {
    ours: "ram",
    fixed: {},
    base: "required",
    minModels: 1,
    globals: { epsilon: { ours: "epsilon", type: "number", default: 1e-5 } },
    tensors: {},
  },
  // Not in mergekit: mergelang's SVD-based methods, in mergekit's form (a base and task models).
  tsv: {
    ours: "tsv",
    fixed: {},
    base: "required",
    minModels: 1,
    globals: {
      alpha: { ours: "alpha", type: "number", default: 1 },
      rank_share: { ours: "rank_share", type: "number", optional: true },
      orthogonalize: { ours: "orthogonalize", type: "bool", default: true },
      exact_svd: exactSvd,
    },
    tensors: {},
  },
  iso_c: {
    ours: "iso_c",
    fixed: {},
    base: "required",
    minModels: 1,
    globals: { alpha: { ours: "alpha", type: "number", default: 1 }, exact_svd: exactSvd },
    tensors: {},
  },
  iso_cts: {
    ours: "iso_cts",
    fixed: {},
    base: "required",
    minModels: 1,
    globals: {
      alpha: { ours: "alpha", type: "number", default: 1 },
      common_space_fraction: { ours: "common_space_fraction", type: "number", default: 0.8 },
      exact_svd: exactSvd,
    },
    tensors: {},
  },
  passthrough: {
    ours: "passthrough",
    fixed: {},
    base: "none",
    minModels: 1,
    maxModels: 1,
    globals: {},
    tensors: { scale: { ours: "scale", default: 1 } },
  },
};

/** mergekit methods mergelang does not have, with what to use instead. */
export const UNSUPPORTED_METHODS: Record<string, string> = {
  core_space: "core_space is not supported",
  task_adapter: "task_adapter is not supported",
  lrp: "lrp is not supported",
};

export function methodNames(): string[] {
  return Object.keys(METHODS);
}
