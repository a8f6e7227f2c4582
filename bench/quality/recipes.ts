/**
 * The merge methods compared, their search spaces (searched on the validation split only, by the
 * recipe language's own search(...) and optimize(...)), and the recipe text of one chosen point.
 */
import { relative, sep } from "node:path";

export type MergeFunction = "linear" | "task_arithmetic" | "ties" | "pcb" | "tsv" | "iso_c" | "iso_cts";

export interface MethodSpec {
  /** File-safe id, e.g. "ties_global". */
  id: string;
  /** Name in tables and charts. */
  label: string;
  fn: MergeFunction;
  /** Coefficients searched, each over its list (the grid is their product, in this key order). */
  grid: Record<string, number[]>;
  /** Arguments passed as they are (strings are quoted). */
  fixed: Record<string, string | number | boolean>;
  /** Instead of the grid: CMA-ES over these spaces (recipe text, e.g. "search(0..2, per_model: true)"). */
  evolve?: { spaces: Record<string, string>; budget: number; seed: number };
}

/** One point of a method's grid: coefficient name → value. */
export type GridPoint = Record<string, number>;

/** Every combination of the grid's values, the first key varying slowest. */
export function gridPoints(spec: Pick<MethodSpec, "grid">): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const [key, values] of Object.entries(spec.grid)) {
    if (values.length === 0) throw new Error(`empty grid for "${key}"`);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return points;
}

/** "density 0.2, lambda 1" (or "—" for a method without coefficients). */
export function describePoint(point: GridPoint): string {
  const parts = Object.entries(point).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "—";
}

/** "d0.2_l1": a folder-safe name of a grid point. */
export function pointSlug(point: GridPoint): string {
  const parts = Object.entries(point).map(([k, v]) => `${k.slice(0, 1)}${v}`);
  return parts.length ? parts.join("_") : "default";
}

export interface RecipeModels {
  /** Absolute folder of the pre-trained encoder. */
  base: string;
  /** Fine-tuned encoders in task order; `name` must be a valid recipe identifier. */
  tasks: { name: string; path: string }[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(["where", "layers", "true", "false", "base", "merged"]);

function pathFrom(dir: string, target: string): string {
  const rel = relative(dir, target).split(sep).join("/");
  return JSON.stringify(rel === "" ? "." : rel);
}

function literal(v: string | number | boolean): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return String(v);
  if (!Number.isFinite(v)) throw new Error(`recipe arguments must be finite numbers, got ${v}`);
  return String(v);
}

/**
 * The recipe that merges the task models with `spec` at `point` and saves the result to `out`
 * (float32). Paths are written relative to `recipeDir`, where the recipe file will live.
 */
export function mergeRecipe(spec: MethodSpec, point: GridPoint, models: RecipeModels, out: string, recipeDir: string): string {
  checkTaskNames(models);
  const args: string[] = models.tasks.map((t) => t.name);
  if (spec.fn !== "linear") args.push(`base: base`);
  for (const [k, v] of Object.entries(point)) args.push(`${k}: ${literal(v)}`);
  for (const [k, v] of Object.entries(spec.fixed)) args.push(`${k}: ${literal(v)}`);
  const lines = [
    `# ${spec.label}: ${describePoint(point)}`,
    ...(spec.fn !== "linear" ? [`base = model(${pathFrom(recipeDir, models.base)})`] : []),
    ...models.tasks.map((t) => `${t.name} = model(${pathFrom(recipeDir, t.path)})`),
    `merged = ${spec.fn}(${args.join(", ")})`,
    `save(merged, ${pathFrom(recipeDir, out)}, dtype: "f32")`,
  ];
  return lines.join("\n") + "\n";
}

function checkTaskNames(models: RecipeModels): void {
  for (const t of models.tasks) {
    if (!IDENT.test(t.name) || RESERVED.has(t.name)) throw new Error(`task name "${t.name}" cannot be a recipe variable`);
  }
}

/**
 * The recipe that searches `spec`'s coefficients: its grid as search([...]) lists (strategy grid), or
 * its evolve spaces (strategy cmaes), and an optimize(...) whose journal and plots go to `searchOut`.
 * The metric is the caller's function (validation accuracy), so the recipe names none.
 */
export function searchRecipe(spec: MethodSpec, models: RecipeModels, searchOut: string, recipeDir: string): string {
  checkTaskNames(models);
  const spaces = spec.evolve ? spec.evolve.spaces : Object.fromEntries(Object.entries(spec.grid).map(([k, v]) => [k, `search([${v.map(literal).join(", ")}])`]));
  const budget = spec.evolve ? spec.evolve.budget : Math.max(1, Object.values(spec.grid).reduce((n, v) => n * v.length, 1));
  const args: string[] = models.tasks.map((t) => t.name);
  if (spec.fn !== "linear") args.push(`base: base`);
  for (const [k, v] of Object.entries(spaces)) args.push(`${k}: ${v}`);
  for (const [k, v] of Object.entries(spec.fixed)) args.push(`${k}: ${literal(v)}`);
  const strategy = spec.evolve ? `strategy: "cmaes", seed: ${spec.evolve.seed}, ` : `strategy: "grid", `;
  const lines = [
    `# ${spec.label}: coefficients searched on the validation digits`,
    ...(spec.fn !== "linear" ? [`base = model(${pathFrom(recipeDir, models.base)})`] : []),
    ...models.tasks.map((t) => `${t.name} = model(${pathFrom(recipeDir, t.path)})`),
    `merged = ${spec.fn}(${args.join(", ")})`,
    `optimize(merged, ${strategy}budget: ${budget}, out: ${pathFrom(recipeDir, searchOut)})`,
  ];
  return lines.join("\n") + "\n";
}

const LAMBDAS = [0.3, 0.5, 0.7, 1.0, 1.5];
/**
 * Share of each task vector kept: TIES's density and PCB's ratio, on one grid so neither is favoured;
 * 1 (keep everything) is in it so the search can say whether dropping helps at all.
 */
const KEPT = [0.1, 0.2, 0.3, 0.5, 1.0];
/** CMA-ES candidates per search: five dimensions (four per-task λ and the kept share), 6 generations of 8. */
const CMAES_BUDGET = 48;
/** The SVD-based methods' α (the papers search it on validation too; Iso's optimum is above 1). */
const ALPHAS = [0.5, 0.7, 1.0, 1.3, 1.6, 2.0];

/** The compared methods: averaging, task arithmetic, TIES and PCB in both scopes, TSV-M, Iso-C and Iso-CTS. */
export const DEFAULT_METHODS: readonly MethodSpec[] = [
  { id: "linear", label: "Weight averaging", fn: "linear", grid: {}, fixed: {} },
  { id: "task_arithmetic", label: "Task arithmetic", fn: "task_arithmetic", grid: { lambda: LAMBDAS }, fixed: {} },
  { id: "ties_tensor", label: "TIES (per tensor)", fn: "ties", grid: { density: KEPT, lambda: LAMBDAS }, fixed: { scope: "tensor" } },
  { id: "ties_global", label: "TIES (global)", fn: "ties", grid: { density: KEPT, lambda: LAMBDAS }, fixed: { scope: "global" } },
  { id: "pcb_tensor", label: "PCB (per tensor)", fn: "pcb", grid: { ratio: KEPT, lambda: LAMBDAS }, fixed: { scope: "tensor" } },
  { id: "pcb_global", label: "PCB (global)", fn: "pcb", grid: { ratio: KEPT, lambda: LAMBDAS }, fixed: { scope: "global" } },
  { id: "tsv", label: "TSV-M", fn: "tsv", grid: { alpha: ALPHAS }, fixed: {} },
  { id: "iso_c", label: "Iso-C", fn: "iso_c", grid: { alpha: ALPHAS }, fixed: {} },
  { id: "iso_cts", label: "Iso-CTS", fn: "iso_cts", grid: { alpha: ALPHAS }, fixed: {} },
  ...[1, 2].flatMap((seed): MethodSpec[] => [
    {
      id: `ties_tensor_cmaes_s${seed}`,
      label: `TIES (per tensor), CMA-ES seed ${seed}`,
      fn: "ties",
      grid: {},
      // Per-task λ: TIES's disjoint sum with a coefficient per task (normalize: false), and the density.
      fixed: { scope: "tensor", normalize: false },
      evolve: { spaces: { density: "search(0.05..1)", weights: `search(0..1, per_model: true)` }, budget: CMAES_BUDGET, seed },
    },
    {
      id: `pcb_tensor_cmaes_s${seed}`,
      label: `PCB (per tensor), CMA-ES seed ${seed}`,
      fn: "pcb",
      grid: {},
      // Per-task λ on PCB's balanced contributions (its weights), and the kept ratio.
      fixed: { scope: "tensor" },
      evolve: { spaces: { ratio: "search(0.05..1)", weights: `search(0..2, per_model: true)` }, budget: CMAES_BUDGET, seed },
    },
  ]),
];
