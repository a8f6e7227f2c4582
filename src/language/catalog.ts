/**
 * The built-in functions, as data (spec §5). The analyzer, completion, hover, signature help and the
 * docs all read this registry; nothing else hard-codes a parameter name.
 */

/** Value types of the language (spec §4). `Size` is a byte size: "5GB" or a number of bytes. */
export type ValueType = "Number" | "String" | "Bool" | "List" | "Model" | "Delta" | "Report" | "Effect" | "Ramp" | "Size" | "Layers" | "Token" | "Interval" | "Search" | "Any";

export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export interface ParamSpec {
  name: string;
  /** Accepted types; the first is the one shown. `Model` also accepts a model expression. */
  types: ValueType[];
  doc: string;
  /** Default value; absent means the parameter is required unless `optional`. */
  default?: number | string | boolean;
  optional?: boolean;
  /** May be passed positionally, in declaration order. */
  positional?: boolean;
  /** Absorbs every remaining positional argument (the models of a merge). */
  variadic?: boolean;
  /** Minimum number of values a variadic parameter needs. */
  minCount?: number;
  maxCount?: number;
  range?: NumberRange;
  integer?: boolean;
  choices?: readonly string[];
  /** Other accepted spellings of choices (mergekit's and PyTorch's dtype names), mapped to the choice. */
  aliases?: Readonly<Record<string, string>>;
  /** A list with one value per positional model is allowed. */
  perModel?: boolean;
  /** The type of a List parameter's items, when not numbers. */
  items?: ValueType;
  /** May differ per tensor: allowed in where clauses and as ramp(...). */
  perTensor?: boolean;
}

/** mergekit's and PyTorch's names for the output dtypes. */
export const DTYPE_ALIASES: Readonly<Record<string, "bf16" | "f16" | "f32">> = {
  bfloat16: "bf16",
  float16: "f16",
  fp16: "f16",
  half: "f16",
  float32: "f32",
  fp32: "f32",
  float: "f32",
};

export interface Paper {
  title: string;
  authors: string;
  venue: string;
  url: string;
}

/** `search`: search spaces and the optimize(...) statement that searches them (src/search). */
/** `layout`: functions that rearrange a model's layers (slice) rather than merge weights. */
export type FunctionKind = "source" | "merge" | "layout" | "delta-op" | "report" | "effect" | "helper" | "search";

export interface FunctionSpec {
  name: string;
  kind: FunctionKind;
  returns: ValueType;
  params: ParamSpec[];
  summary: string;
  /** The formula or algorithm, in one or two lines of plain text. */
  formula?: string;
  paper?: Paper;
  /** Methods whose `scope` may be "global" need whole-model statistics. */
  hasScope?: boolean;
}

const papers = {
  ties: {
    title: "TIES-Merging: Resolving Interference When Merging Models",
    authors: "Yadav, Tam, Choshen, Raffel, Bansal",
    venue: "NeurIPS 2023",
    url: "https://arxiv.org/abs/2306.01708",
  },
  pcb: {
    title: "Parameter Competition Balancing for Model Merging",
    authors: "Du, Lee, Li, Jiang, Wang, Zhang, Zhang",
    venue: "NeurIPS 2024",
    url: "https://arxiv.org/abs/2410.02396",
  },
  taskArithmetic: {
    title: "Editing Models with Task Arithmetic",
    authors: "Ilharco, Ribeiro, Wortsman, Gururangan, Schmidt, Hajishirzi, Farhadi",
    venue: "ICLR 2023",
    url: "https://arxiv.org/abs/2212.04089",
  },
  soups: {
    title: "Model soups: averaging weights of multiple fine-tuned models improves accuracy without increasing inference time",
    authors: "Wortsman et al.",
    venue: "ICML 2022",
    url: "https://arxiv.org/abs/2203.05482",
  },
  dare: {
    title: "Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch",
    authors: "Yu, Yu, Yu, Huang, Li",
    venue: "ICML 2024",
    url: "https://arxiv.org/abs/2311.03099",
  },
  breadcrumbs: {
    title: "Model Breadcrumbs: Scaling Multi-Task Model Merging with Sparse Masks",
    authors: "Davari, Belilovsky",
    venue: "ECCV 2024",
    url: "https://arxiv.org/abs/2312.06795",
  },
  della: {
    title: "DELLA-Merging: Reducing Interference in Model Merging through Magnitude-Based Sampling",
    authors: "Deep, Bhardwaj, Poria",
    venue: "arXiv 2024",
    url: "https://arxiv.org/abs/2406.11617",
  },
  slerp: {
    title: "Animating rotation with quaternion curves",
    authors: "Shoemake",
    venue: "SIGGRAPH 1985",
    url: "https://doi.org/10.1145/325165.325242",
  },
  modelStock: {
    title: "Model Stock: All we need is just a few fine-tuned models",
    authors: "Jang, Yun, Han",
    venue: "ECCV 2024",
    url: "https://arxiv.org/abs/2403.19522",
  },
  sce: {
    title: "FuseChat: Knowledge Fusion of Chat Models",
    authors: "Wan, Zhong, Quan, Huang, Shi, Bi",
    venue: "arXiv 2024",
    url: "https://arxiv.org/abs/2408.07990",
  },
  tsv: {
    title: "Task Singular Vectors: Reducing Task Interference in Model Merging",
    authors: "Gargiulo, Crisostomi, Bucarelli, Scardapane, Silvestri, Rodolà",
    venue: "CVPR 2025",
    url: "https://arxiv.org/abs/2412.00081",
  },
  iso: {
    title: "No Task Left Behind: Isotropic Model Merging with Common and Task-Specific Subspaces",
    authors: "Marczak, Magistri, Cygert, Twardowski, Bagdanov, van de Weijer",
    venue: "ICML 2025",
    url: "https://arxiv.org/abs/2502.04959",
  },
  karcher: {
    title: "Riemannian center of mass and mollifier smoothing",
    authors: "Karcher",
    venue: "Communications on Pure and Applied Mathematics 1977",
    url: "https://doi.org/10.1002/cpa.3160300502",
  },
  ram: {
    title: "Reinforced Agent Merging",
    authors: "Arcee AI (mergekit)",
    venue: "arXiv 2026",
    url: "https://arxiv.org/abs/2601.13572",
  },
} satisfies Record<string, Paper>;

const unit: NumberRange = { min: 0, max: 1 };

/** The arithmetic of the methods that can follow PyTorch's 16-bit rounding (mergekit's `dtype`). */
const precision: ParamSpec = {
  name: "precision",
  types: ["String"],
  default: "f32",
  choices: ["f32", "bf16", "f16"],
  doc: "the arithmetic: float32, or each step rounded to bf16/f16 as PyTorch computes on such tensors (mergekit with dtype: bfloat16)",
};

// Parameters shared by the task-vector methods.
const models = (min = 1): ParamSpec => ({
  name: "models",
  types: ["Model"],
  doc: "the fine-tuned models",
  positional: true,
  variadic: true,
  minCount: min,
});
const base: ParamSpec = { name: "base", types: ["Model"], doc: "the pre-trained model the task vectors are taken from" };
const lambda: ParamSpec = {
  name: "lambda",
  types: ["Number"],
  default: 1.0,
  doc: "scale of the merged task vector added to the base",
  perTensor: true,
};
const weights: ParamSpec = {
  name: "weights",
  types: ["List"],
  optional: true,
  doc: "one weight per model (default: 1 each)",
  perModel: true,
  perTensor: true,
};
const rescale = (fallback: boolean, what: string): ParamSpec => ({
  name: "rescale",
  types: ["Bool", "String"],
  default: fallback,
  choices: ["l1", "l2", "linf"],
  doc: `${what}; "l1", "l2" or "linf": scale each task vector back to the norm it had before dropping (mergekit's rescale is "l1")`,
});
const scope: ParamSpec = {
  name: "scope",
  types: ["String"],
  default: "tensor",
  choices: ["tensor", "global"],
  doc: "thresholds per tensor, or over the whole model flattened into one vector (as the papers' code does)",
};
const agreement: ParamSpec = {
  name: "agreement",
  types: ["String"],
  default: "delta",
  choices: ["delta", "weighted"],
  doc: "with consensus, whose sign must match the elected one: the delta's (section 6), or the weighted delta's wᵢ·δᵢ (mergekit; differs only for negative weights)",
};

// Parameters shared by the SVD-based methods (TSV-M, Iso-C, Iso-CTS).
const alpha: ParamSpec = {
  name: "alpha",
  types: ["Number"],
  default: 1.0,
  doc: "scale α of the merged task matrix added to the base (the papers' α, chosen on validation)",
  perTensor: true,
};
const svd: ParamSpec = {
  name: "svd",
  types: ["String"],
  default: "auto",
  choices: ["auto", "exact"],
  doc: "auto: exact SVD up to 256 on the short side, randomized / Gram-matrix SVD beyond; exact: always the exact SVD (slow on large matrices)",
};
const spectralNote = "2-D tensors only; 1-D tensors and embed_tokens / lm_head / text_projection take base + α·mean(δᵢ), as in the authors' code";

const seed: ParamSpec = { name: "seed", types: ["Number"], default: 0, integer: true, range: { min: 0 }, doc: "seed of the random drop: same seed, same model" };

export const catalog: readonly FunctionSpec[] = [
  {
    name: "model",
    kind: "source",
    returns: "Model",
    summary:
      "A model: a Hugging Face folder (safetensors or PyTorch .bin, single file or index and shards), one weights file, " +
      "or a Hub id `org/name@revision` found in the Hugging Face cache (`mergelang run` downloads what is missing).",
    params: [
      { name: "path", types: ["String"], positional: true, doc: "a folder or file relative to the recipe file, or a Hub id `org/name` (optionally `@revision`)" },
      {
        name: "dtype",
        types: ["String"],
        positional: true,
        optional: true,
        choices: ["bf16", "f16", "f32"],
        aliases: DTYPE_ALIASES,
        doc: "the model's nominal floating dtype (the default for save when this is the base)",
      },
      {
        name: "lora",
        types: ["String"],
        optional: true,
        doc: "a PEFT LoRA adapter (folder or Hub id) applied to the model as it is read: W + (lora_alpha / r)·B·A",
      },
    ],
  },
  {
    name: "lora",
    kind: "source",
    returns: "Delta",
    summary: "A PEFT LoRA adapter's update as a task vector: model(base, lora: adapter) − base, with ΔW = (lora_alpha / r)·B·A (rsLoRA: lora_alpha / √r).",
    params: [
      { name: "adapter", types: ["String"], positional: true, doc: "the adapter: a folder with adapter_config.json and adapter_model.safetensors, or a Hub id" },
      { name: "base", types: ["Model"], doc: "the model the adapter was trained on, as model(...) loads it" },
    ],
  },
  {
    name: "linear",
    kind: "merge",
    returns: "Model",
    summary: "Weighted average of models (a model soup).",
    formula: "Σ wᵢ·mᵢ / Σ wᵢ  (without normalize: Σ wᵢ·mᵢ)",
    paper: papers.soups,
    params: [
      models(1),
      weights,
      { name: "normalize", types: ["Bool"], default: true, doc: "divide by the sum of the weights" },
      { ...precision, doc: "the arithmetic: float32 with exact coefficients, or each step rounded to bf16/f16 as PyTorch computes on such tensors (mergekit with dtype: bfloat16)" },
    ],
  },
  {
    name: "task_arithmetic",
    kind: "merge",
    returns: "Model",
    summary: "Add the sum of the task vectors to the base.",
    formula: "base + λ·Σ wᵢ·(mᵢ − base)",
    paper: papers.taskArithmetic,
    params: [models(1), base, lambda, weights],
  },
  {
    name: "ties",
    kind: "merge",
    returns: "Model",
    hasScope: true,
    summary: "TIES-Merging: trim small deltas, elect a sign per parameter, average only the agreeing deltas.",
    formula: "δᵢ = mᵢ − base; trim to the top density·d magnitudes; γ = sign(Σ wᵢ·δᵢ); τ = Σ wᵢ·δᵢ·[sign δᵢ = γ] / Σ wᵢ·[sign δᵢ = γ]; base + λ·τ",
    paper: papers.ties,
    params: [
      models(1),
      base,
      { name: "density", types: ["Number"], default: 0.2, range: unit, perModel: true, perTensor: true, doc: "share of each task vector's largest-magnitude entries kept" },
      lambda,
      weights,
      scope,
      { name: "consensus", types: ["String"], default: "sum", choices: ["sum", "count"], doc: "elect the sign of the weighted sum (mass) or of the count of signs" },
      agreement,
      { name: "normalize", types: ["Bool"], default: true, doc: "divide by the weights of the agreeing models (disjoint mean)" },
    ],
  },
  {
    name: "pcb",
    kind: "merge",
    returns: "Model",
    hasScope: true,
    summary: "PCB-Merging: balance parameter competition within and across tasks, drop the least important, rescale.",
    formula: "β = exp(n·norm(|δ|)²)·tanh(δ·Σδ); keep the top ratio of β per task as scale s; τ = Σ wᵢ·δ̃ᵢ·sᵢ / Σ sᵢ; base + λ·τ",
    paper: papers.pcb,
    params: [
      models(1),
      base,
      { name: "ratio", types: ["Number"], default: 0.1, range: { min: 0, max: 1, minExclusive: true }, perTensor: true, doc: "share of each task's parameters kept after balancing" },
      lambda,
      { name: "clip", types: ["Number"], default: 0.0001, range: { min: 0, max: 0.5, maxExclusive: true }, doc: "share of the smallest and largest magnitudes clipped before balancing" },
      { ...weights, doc: "one coefficient per task on its balanced contribution (default: 1 each), as PCB-Merging's evolutionary search tunes them" },
      scope,
    ],
  },
  {
    name: "dare",
    kind: "merge",
    returns: "Model",
    summary: "DARE: drop each delta entry at random with probability 1 − density and rescale the rest by 1/density.",
    formula: "δ̂ᵢ = δᵢ·Bernoulli(density)/density; base + λ·Σ wᵢ·δ̂ᵢ (with consensus: \"sum\", TIES's sign election: DARE-TIES)",
    paper: papers.dare,
    params: [
      models(1),
      base,
      { name: "density", types: ["Number"], default: 0.5, range: { min: 0, max: 1, minExclusive: true }, perModel: true, perTensor: true, doc: "probability of keeping each delta entry" },
      lambda,
      weights,
      rescale(true, "true: divide the kept entries by density (the paper); false: keep them as they are"),
      { name: "consensus", types: ["String"], default: "none", choices: ["none", "sum", "count"], doc: "sign election as in TIES (DARE-TIES), or none" },
      agreement,
      { name: "normalize", types: ["Bool"], default: false, doc: "with consensus, divide by the weights of the agreeing models" },
      seed,
    ],
  },
  {
    name: "breadcrumbs",
    kind: "merge",
    returns: "Model",
    summary: "Model Breadcrumbs: drop the largest gamma share of each task vector (outliers) and the smallest, keeping density.",
    formula: "keep the entries ranked between gamma and gamma + density by magnitude; base + λ·Σ wᵢ·δ̂ᵢ",
    paper: papers.breadcrumbs,
    params: [
      models(1),
      base,
      { name: "density", types: ["Number"], default: 0.9, range: unit, perModel: true, perTensor: true, doc: "share of entries kept" },
      { name: "gamma", types: ["Number"], default: 0.01, range: { min: 0, max: 1, maxExclusive: true }, perModel: true, perTensor: true, doc: "share of the largest magnitudes dropped as outliers" },
      lambda,
      weights,
      { name: "consensus", types: ["String"], default: "none", choices: ["none", "sum", "count"], doc: "sign election as in TIES, or none" },
      agreement,
      { name: "normalize", types: ["Bool"], default: false, doc: "with consensus, divide by the weights of the agreeing models" },
      rescale(false, "false: keep the entries as they are; true: the same as \"l1\""),
    ],
  },
  {
    name: "della",
    kind: "merge",
    returns: "Model",
    summary: "DELLA: drop entries at random with keep probabilities ranked by magnitude (MAGPRUNE), rescale, elect signs, merge.",
    formula: "pᵢ from density − ε/2 (smallest) to density + ε/2 (largest); keep with pᵢ, divide by pᵢ; TIES sign election and disjoint merge",
    paper: papers.della,
    params: [
      models(1),
      base,
      { name: "density", types: ["Number"], range: { min: 0, max: 1, minExclusive: true }, perModel: true, perTensor: true, doc: "mean keep probability" },
      { name: "epsilon", types: ["Number"], default: 0.15, range: { min: 0, max: 1 }, perModel: true, perTensor: true, doc: "spread of keep probabilities between the smallest and largest magnitudes" },
      lambda,
      weights,
      rescale(true, "true: divide each kept entry by its keep probability (the paper); false: keep them as they are"),
      { name: "consensus", types: ["String"], default: "sum", choices: ["none", "sum", "count"], doc: "sign election as in TIES (della), or none (della_linear)" },
      agreement,
      { name: "normalize", types: ["Bool"], default: true, doc: "divide by the weights of the agreeing models" },
      seed,
    ],
  },
  {
    name: "slerp",
    kind: "merge",
    returns: "Model",
    summary: "Spherical linear interpolation between two models, per tensor (linear when nearly parallel).",
    formula: "θ = angle(a, b); sin((1−t)θ)/sin θ·a + sin(tθ)/sin θ·b",
    paper: papers.slerp,
    params: [
      { ...models(2), maxCount: 2, doc: "the two models to interpolate" },
      { name: "t", types: ["Number"], default: 0.5, range: unit, perTensor: true, doc: "0 gives the first model, 1 the second" },
    ],
  },
  {
    name: "model_stock",
    kind: "merge",
    returns: "Model",
    summary: "Model Stock: interpolate the average of fine-tuned models towards the base by the angle between their deltas.",
    formula: "cos θ = mean pairwise cosine of δᵢ; t = n·cos θ / (1 + (n−1)·cos θ); t·mean(mᵢ) + (1−t)·base",
    paper: papers.modelStock,
    params: [
      models(2),
      base,
      { name: "filter_wise", types: ["Bool"], default: false, doc: "one t per row (output filter) instead of one per tensor, as mergekit's filter_wise" },
    ],
  },
  {
    name: "nuslerp",
    kind: "merge",
    returns: "Model",
    summary: "NuSLERP: spherical interpolation of two models, or of their task vectors when a base is given (mergekit's nuslerp).",
    formula: "t = w₂/(w₁ + w₂); θ = angle(a, b); base + (sin((1−t)θ)·a + sin(tθ)·b)/sin θ, a and b taken against the base if any",
    paper: papers.slerp,
    params: [
      { ...models(2), maxCount: 2, doc: "the two models to interpolate" },
      { ...base, optional: true, doc: "optional: interpolate the task vectors against this model" },
      { ...weights, doc: "one weight per model; t = second / (first + second) (default [1, 1]: t = 0.5)" },
      { name: "flatten", types: ["Bool"], default: true, doc: "one angle for the whole tensor; false: one angle per row (or per column with row_wise)" },
      { name: "row_wise", types: ["Bool"], default: false, doc: "with flatten: false, one angle per column: the vectors along the first dimension (mergekit's nuslerp_row_wise)" },
    ],
  },
  {
    name: "multislerp",
    kind: "merge",
    returns: "Model",
    summary: "Multi-SLERP: barycentric interpolation of several models on the hypersphere (mergekit's multislerp).",
    formula: "project to the unit sphere, mean direction μ, Σ wᵢ·(uᵢ − (uᵢ·μ)μ) mapped back by the exponential map, times Σ wᵢ|xᵢ|",
    params: [
      models(2),
      { ...base, optional: true, doc: "optional: interpolate the task vectors against this model" },
      weights,
      { name: "normalize_weights", types: ["Bool"], default: true, doc: "divide the weights by their sum" },
      { name: "eps", types: ["Number"], default: 1e-8, range: { min: 0, minExclusive: true }, doc: "numerical-stability constant" },
    ],
  },
  {
    name: "tsv",
    kind: "merge",
    returns: "Model",
    summary: `TSV-Merge: keep each task's top singular vectors, decorrelate the concatenated vectors, sum (per 2-D tensor; ${spectralNote}).`,
    formula: "δᵢ ≈ Uᵢ Σᵢ Vᵢᵀ (top ⌊r·rank_share⌋); U = polar[U₁ … U_T], V = polar[V₁ … V_T]; base + α·U·diag(Σ₁ … Σ_T)·Vᵀ",
    paper: papers.tsv,
    params: [
      models(1),
      base,
      alpha,
      { name: "rank_share", types: ["Number"], optional: true, range: { min: 0, max: 1, minExclusive: true }, perTensor: true, doc: "share of the rank each task keeps (default 1/T for T models; the authors' sv_reduction)" },
      { name: "orthogonalize", types: ["Bool"], default: true, doc: "replace the concatenated singular vectors by their polar factors; false sums the low-rank task matrices (ablation)" },
      svd,
    ],
  },
  {
    name: "iso_c",
    kind: "merge",
    returns: "Model",
    summary: `Iso-C: the task sum with its singular spectrum flattened to the mean (isotropic; per 2-D tensor; ${spectralNote}).`,
    formula: "Σδᵢ = U Σ Vᵀ; base + α·mean(σ)·U·Vᵀ",
    paper: papers.iso,
    params: [models(1), base, alpha, svd],
  },
  {
    name: "iso_cts",
    kind: "merge",
    returns: "Model",
    summary: `Iso-CTS: isotropic merge of a common subspace of the task sum and each task's own directions outside it (per 2-D tensor; ${spectralNote}).`,
    formula: "U_c = top k of Σδᵢ (k ≈ r·common_space_fraction); per task the top (r−k)/T of δᵢ − U_cU_cᵀδᵢ; U, V = polar of [task…, common]; base + α·mean(σ)·U·Vᵀ",
    paper: papers.iso,
    params: [
      models(1),
      base,
      alpha,
      { name: "common_space_fraction", types: ["Number"], default: 0.8, range: unit, perTensor: true, doc: "share of the rank given to the common subspace of the task sum; the rest is split evenly between the tasks" },
      svd,
    ],
  },
  {
    name: "karcher",
    kind: "merge",
    returns: "Model",
    summary: "Karcher mean: the Riemannian barycentre of the models' directions on the sphere, times their mean norm (mergekit's karcher).",
    formula: "iterate μ ← exp_μ(Σ (θᵢ/sin θᵢ)(uᵢ − cos θᵢ·μ)/n) from the normalised mean; result mean(|xᵢ|)·μ",
    paper: papers.karcher,
    params: [
      models(2),
      { name: "max_iter", types: ["Number"], default: 10, integer: true, range: { min: 0 }, doc: "most iterations" },
      { name: "tol", types: ["Number"], default: 1e-5, range: { min: 0, minExclusive: true }, doc: "convergence tolerance" },
    ],
  },
  {
    name: "sce",
    kind: "merge",
    returns: "Model",
    summary: "SCE (Select, Calculate, Erase): keep high-variance positions, weight task vectors by their energy, merge the agreeing signs.",
    formula: "mask top select_topk of var(δ) positions; wᵢ = Σδᵢ²/ΣⱼΣδⱼ²; γ = sign Σ δᵢ; base + Σ wᵢ·δᵢ·[sign δᵢ = γ] / Σ wᵢ·[sign δᵢ = γ]",
    paper: papers.sce,
    params: [
      models(1),
      base,
      { name: "select_topk", types: ["Number"], default: 1.0, range: { min: 0, max: 1, minExclusive: true }, perTensor: true, doc: "share of positions (by variance across the task vectors) kept; 1 keeps all" },
    ],
  },
  {
    name: "nearswap",
    kind: "merge",
    returns: "Model",
    summary: "NearSwap: move the base towards the other model where their parameters are already close (mergekit's nearswap).",
    formula: "w = clamp(t / |base − m|, 0, 1); w·m + (1 − w)·base",
    params: [
      { ...models(1), maxCount: 1, doc: "the model whose close parameters are taken" },
      base,
      { name: "t", types: ["Number"], range: { min: 0, minExclusive: true }, perTensor: true, doc: "sameness threshold: differences below t are taken entirely" },
    ],
  },
  {
    name: "arcee_fusion",
    kind: "merge",
    returns: "Model",
    summary: "Arcee Fusion: keep the base except where the model differs most, by importance above a dynamic threshold (mergekit's arcee_fusion).",
    formula: "I = |m − base|·KL(softmax(m) ‖ softmax(base)) per row; τ = median(I) + 1.5·(q₃ − q₁); base + (m − base)·[I ≥ τ]",
    params: [
      { ...models(1), maxCount: 1, doc: "the model fused into the base" },
      base,
      { name: "seed", types: ["Number"], default: 0, integer: true, range: { min: 0 }, doc: "seed of the quantiles' sample of 1,000,000 elements on larger tensors (as mergekit samples)" },
      precision,
    ],
  },
  {
    name: "ram",
    kind: "merge",
    returns: "Model",
    summary: "RAM (Reinforced Agent Merging): take an entry only one task changes whole, average the entries several tasks change (mergekit's ram).",
    formula: "cᵢ = [|δᵢ| > ε]; base + Σ cᵢ·δᵢ / max(1, Σ cᵢ)",
    paper: papers.ram,
    params: [
      models(1),
      base,
      { name: "epsilon", types: ["Number"], default: 1e-5, range: { min: 0 }, doc: "a task vector entry counts as changed when its magnitude is above epsilon" },
    ],
  },
  {
    name: "passthrough",
    kind: "merge",
    returns: "Model",
    summary: "Passthrough: one model as it is (optionally scaled), or several stacked layer by layer (a frankenmerge).",
    formula: "one model: scale·m; several: the layers of each in order, embeddings from the first, final norm and head from the last",
    params: [
      { ...models(1), doc: "the models (or slice(m, layers a..b)) whose layers are stacked in order" },
      { name: "scale", types: ["Number"], default: 1.0, perTensor: true, doc: "multiplies every tensor (e.g. where \"*down_proj*\" { scale: 0.5 })" },
    ],
  },
  {
    name: "slice",
    kind: "layout",
    returns: "Model",
    summary: "A model made of a range of another model's layers, renumbered from 0 (embeddings, final norm and head kept).",
    formula: "layers a..b (inclusive) of m become layers 0..b−a",
    params: [
      { name: "model", types: ["Model"], positional: true, doc: "the model to take layers from" },
      { name: "layers", types: ["Layers"], positional: true, doc: "the layers kept, e.g. layers 0..15 (inclusive)" },
    ],
  },
  {
    name: "trim",
    kind: "delta-op",
    returns: "Delta",
    summary: "TIES's first step: keep the largest-magnitude share density of a task vector, zero the rest.",
    paper: papers.ties,
    params: [
      { name: "delta", types: ["Delta"], positional: true, doc: "a task vector (model − base)" },
      { name: "density", types: ["Number"], positional: true, default: 0.2, range: unit, perTensor: true, doc: "share of entries kept" },
    ],
  },
  {
    name: "elect",
    kind: "delta-op",
    returns: "Delta",
    summary: "TIES's second step: the sign of the summed task vectors, per parameter (+1 where the sum is 0).",
    paper: papers.ties,
    params: [{ name: "deltas", types: ["Delta"], positional: true, variadic: true, minCount: 1, doc: "task vectors, usually trimmed" }],
  },
  {
    name: "disjoint_mean",
    kind: "delta-op",
    returns: "Delta",
    summary: "TIES's third step: average each parameter over the task vectors whose sign agrees with the elected sign.",
    paper: papers.ties,
    params: [
      { name: "deltas", types: ["Delta"], positional: true, variadic: true, minCount: 1, doc: "task vectors, usually trimmed" },
      { name: "sign", types: ["Delta"], optional: true, doc: "the elected sign (default: elect(deltas...))" },
    ],
  },
  {
    name: "interference",
    kind: "report",
    returns: "Report",
    summary: "Per-layer interference between task vectors: redundancy, sign conflict, mass lost to election, cosine, norms.",
    paper: papers.ties,
    params: [
      models(1),
      base,
      { name: "density", types: ["Number"], default: 0.2, range: unit, doc: "trimming density the redundancy and conflicts are measured at" },
      { name: "by", types: ["String"], default: "layer", choices: ["layer", "tensor"], doc: "group rows by layer or show every tensor" },
      { name: "spectral", types: ["Bool"], default: false, doc: "add the spectral interference of the 2-D tensors (TSV: overlap of the tasks' top singular subspaces)" },
    ],
  },
  {
    name: "save",
    kind: "effect",
    returns: "Effect",
    summary: "Write a model as a Hugging Face folder (safetensors shards, config, tokenizer, model card).",
    params: [
      { name: "model", types: ["Model"], positional: true, doc: "the model to write" },
      { name: "path", types: ["String"], positional: true, doc: "output folder, relative to the recipe file" },
      { name: "dtype", types: ["String"], optional: true, choices: ["bf16", "f16", "f32"], aliases: DTYPE_ALIASES, doc: "output dtype (default: the base model's floating dtype)" },
      { name: "shard_size", types: ["Size"], default: "5GB", doc: "largest shard, e.g. \"2GB\", \"500MB\" or a number of bytes" },
      { name: "copy_tokenizer", types: ["Bool"], default: true, doc: "copy the tokenizer files from the base model" },
      {
        name: "overwrite",
        types: ["Bool"],
        default: false,
        doc: "replace an existing folder even when mergelang did not write it (an input model's folder is never replaced)",
      },
      {
        name: "allow_nonfinite",
        types: ["Bool"],
        default: false,
        doc: "merge inputs that hold NaN or ±Inf and write outputs that do (by default such values are an error naming the model and tensor)",
      },
      {
        name: "tokenizer",
        types: ["String", "Model"],
        optional: true,
        choices: ["base", "union"],
        doc: "the output vocabulary: \"base\" (the base's), \"union\" (the base's plus every token another model adds) or one of the merged models; embedding and head rows are re-indexed to it before the merge",
      },
      { name: "tokens", types: ["List"], items: "Token", optional: true, doc: "per-token row sources for the output vocabulary: a list of token(...)" },
      { name: "pad_to_multiple_of", types: ["Number"], optional: true, integer: true, range: { min: 1 }, doc: "round the output vocabulary's rows up to a multiple of this (needs tokenizer:)" },
      {
        name: "chat_template",
        types: ["String"],
        optional: true,
        doc: `the output's chat template: ${["chatml", "llama3", "alpaca", "mistral", "gemma", "zephyr"].map((n) => `"${n}"`).join(", ")}, "auto" (the template most models share), a .jinja file, or Jinja text`,
      },
    ],
  },
  {
    name: "token",
    kind: "helper",
    returns: "Token",
    summary: "Where one token's embedding row comes from, for save(..., tokens: [...]) (mergekit's tokenizer.tokens).",
    params: [
      { name: "text", types: ["String"], positional: true, doc: "the token, as the output vocabulary has it" },
      { name: "source", types: ["Model", "String"], positional: true, choices: ["zero"], doc: "a merged model whose row is taken, or \"zero\"" },
      { name: "force", types: ["Bool"], default: false, doc: "use the source's row for every model, also those that have the token" },
      { name: "row", types: ["Number"], optional: true, integer: true, range: { min: 0 }, doc: "take the source model's row with this id instead of the token's own" },
      { name: "from_token", types: ["String"], optional: true, doc: "take the source model's row of this other token" },
    ],
  },
  {
    name: "print",
    kind: "effect",
    returns: "Effect",
    summary: "Write the values' text to standard output.",
    params: [{ name: "values", types: ["Any"], positional: true, variadic: true, minCount: 0, doc: "values to print" }],
  },
  {
    name: "search",
    kind: "search",
    returns: "Search",
    summary:
      "A search space for a number parameter of a merge: an interval lo..hi or a list of values, searched by optimize(...) on validation data.",
    formula: "lambda: search(0.3..1.5); density: search([0.1, 0.2, 0.5]); weights: search(0..1, per_model: true)",
    paper: papers.ties,
    params: [
      { name: "space", types: ["Interval", "List"], positional: true, doc: "an interval lo..hi (inclusive) or a list of the values to try" },
      { name: "per_model", types: ["Bool"], default: false, doc: "one value per model, each searched on its own (for per-model parameters such as weights)" },
      { name: "steps", types: ["Number"], optional: true, integer: true, range: { min: 2 }, doc: "grid points over an interval (default: as many as the budget allows)" },
      { name: "log", types: ["Bool"], default: false, doc: "search the interval on a log scale (both ends > 0)" },
    ],
  },
  {
    name: "optimize",
    kind: "search",
    returns: "Effect",
    summary:
      "Search the recipe's search(...) spaces: merge each candidate, score it with the metric, keep the best (`mergelang search FILE`).",
    formula: "grid: every combination; random: seeded uniform draws; cmaes: bounded CMA-ES with restarts (IPOP), on the spaces scaled to [0, 1]",
    paper: papers.pcb,
    params: [
      { name: "model", types: ["Model"], positional: true, doc: "the merged model each candidate produces (what the metric scores)" },
      {
        name: "metric",
        types: ["String"],
        optional: true,
        doc: "a command run on each candidate's model folder ({model} is replaced by the folder); the last number it prints is the score. The API and notebooks may pass a function instead",
      },
      { name: "goal", types: ["String"], default: "max", choices: ["max", "min"], doc: "maximise or minimise the metric" },
      { name: "strategy", types: ["String"], default: "grid", choices: ["grid", "random", "cmaes"], doc: "grid (every combination), random (seeded draws) or cmaes (evolution strategy, as PCB-Merging)" },
      { name: "budget", types: ["Number"], default: 20, integer: true, range: { min: 1 }, doc: "most candidates evaluated" },
      { name: "seed", types: ["Number"], default: 0, integer: true, range: { min: 0 }, doc: "seed of random and cmaes: same seed, same candidates" },
      { name: "parallel", types: ["Number"], default: 1, integer: true, range: { min: 1 }, doc: "candidates evaluated at the same time (metric commands)" },
      { name: "timeout", types: ["Number"], default: 3600, range: { min: 0, minExclusive: true }, doc: "seconds a metric command may run on one candidate" },
      { name: "out", types: ["String"], optional: true, doc: "folder for the journal, the best recipe and the plots (default: the recipe's name + .search)" },
      { name: "dtype", types: ["String"], optional: true, choices: ["bf16", "f16", "f32"], doc: "dtype of the candidate folders a metric command reads (default: the base model's)" },
      { name: "sigma", types: ["Number"], default: 0.3, range: { min: 0, max: 1, minExclusive: true }, doc: "cmaes: initial step size, as a share of each space's range" },
    ],
  },
  {
    name: "ramp",
    kind: "helper",
    returns: "Ramp",
    summary: "A per-layer number: linear interpolation over the layers a where clause selects, or over all layers.",
    params: [
      { name: "from", types: ["Number"], positional: true, doc: "value at the first selected layer" },
      { name: "to", types: ["Number"], positional: true, doc: "value at the last selected layer" },
    ],
  },
  {
    name: "gradient",
    kind: "helper",
    returns: "Ramp",
    summary:
      "A per-layer number given at evenly spaced layers (mergekit's gradient lists): the first value at the first selected layer, the last at the last, linear in between.",
    formula: "at layer position t ∈ [0, 1] of the selected layers: x = t·(n − 1); values[⌊x⌋] + (x − ⌊x⌋)·(values[⌊x⌋ + 1] − values[⌊x⌋])",
    params: [{ name: "values", types: ["Number"], positional: true, variadic: true, minCount: 2, doc: "the values, at evenly spaced layers" }],
  },
];

const byName = new Map(catalog.map((f) => [f.name, f]));

export function lookupFunction(name: string): FunctionSpec | undefined {
  return byName.get(name);
}

export function functionNames(): string[] {
  return catalog.map((f) => f.name);
}

/** Methods that merge models (what code lenses, `inspect --all` and the engine registry key on). */
export function mergeMethods(): FunctionSpec[] {
  return catalog.filter((f) => f.kind === "merge");
}

/** `ties(models..., base, density: 0.2, ...)` as shown in completion, hover and docs. */
export function signatureOf(f: FunctionSpec): string {
  const parts = f.params.map((p) => {
    if (p.variadic) return `${p.name}...`;
    if (p.positional) return p.optional || p.default !== undefined ? `${p.name}?` : p.name;
    if (p.default !== undefined) return `${p.name}: ${JSON.stringify(p.default)}`;
    return p.optional ? `${p.name}?` : `${p.name}:`;
  });
  return `${f.name}(${parts.join(", ")})`;
}

/** Markdown documentation for a function: signature, summary, formula, parameters, paper. */
export function functionDoc(f: FunctionSpec): string {
  const lines = ["```mergelang", signatureOf(f), "```", "", f.summary];
  if (f.formula) lines.push("", "`" + f.formula + "`");
  lines.push("", ...f.params.map((p) => `- \`${p.name}\`${paramFacts(p)}: ${p.doc}`));
  if (f.paper) lines.push("", `Paper: [${f.paper.title}](${f.paper.url}), ${f.paper.authors}, ${f.paper.venue}.`);
  return lines.join("\n");
}

/** " (Number, default 0.2, 0..1, per model)" */
export function paramFacts(p: ParamSpec): string {
  const facts: string[] = [p.types[0]!];
  if (p.default !== undefined) facts.push(`default ${JSON.stringify(p.default)}`);
  else if (!p.optional && !p.variadic) facts.push("required");
  if (p.choices) facts.push(p.choices.map((c) => JSON.stringify(c)).join(" | "));
  if (p.range) facts.push(describeRange(p.range));
  if (p.perModel) facts.push("per model");
  if (p.perTensor) facts.push("per tensor");
  return ` (${facts.join(", ")})`;
}

export function describeRange(r: NumberRange): string {
  const lo = r.min === undefined ? "" : `${r.minExclusive ? ">" : "≥"} ${r.min}`;
  const hi = r.max === undefined ? "" : `${r.maxExclusive ? "<" : "≤"} ${r.max}`;
  return [lo, hi].filter(Boolean).join(" and ");
}

export function inRange(v: number, r: NumberRange): boolean {
  if (r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? v >= r.max : v > r.max)) return false;
  return true;
}
