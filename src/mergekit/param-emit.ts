/**
 * Writing one parameter of a merge call: from the value mergekit gives every tensor, a call value
 * and `where` clauses that reproduce them exactly. A structured first guess follows mergekit's own
 * layout (filters become name patterns, gradients become gradient(...)); every tensor is then
 * resolved the way the engine will resolve it, and each one that still differs (e.g. a tensor whose
 * filter matches only there) gets a clause of its own name.
 */
import type { ParamValue, Selector, WhereClause } from "../graph/graph.js";
import { resolveParams, type ResolvedValue } from "../graph/params.js";

export interface TensorSlot {
  name: string;
  layer: number | null;
}

export type Expected = number | string | boolean | number[];

export interface ParamPlan {
  value: ParamValue | undefined;
  clauses: { selector: Selector; value: ParamValue }[];
}

const ORIGIN = { file: "", line: 0, column: 0 };

function same(a: ResolvedValue | undefined, b: Expected): boolean {
  if (a === undefined) return false;
  if (Array.isArray(b)) return Array.isArray(a) && a.length === b.length && a.every((x, i) => closeNumber(x, b[i]!));
  if (typeof b === "number") return typeof a === "number" && closeNumber(a, b);
  return a === b;
}

function closeNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

const key = (v: Expected): string => JSON.stringify(v);

/** A glob matching exactly `name` (null when the name has glob characters). */
export function exactGlob(name: string): string | null {
  return /[*?]/.test(name) ? null : name;
}

/** The value every tensor gets under `plan`, as the engine resolves it. */
function resolved(param: string, plan: ParamPlan, tensor: string, layerCount: number): ResolvedValue | undefined {
  const where: WhereClause[] = plan.clauses.map((c) => ({ selector: c.selector, values: { [param]: c.value }, origin: ORIGIN }));
  const values: Record<string, ParamValue> = plan.value === undefined ? {} : { [param]: plan.value };
  return resolveParams({ values, where, modelCount: 0 }, tensor, layerCount)[param];
}

/**
 * A guess without structure: the most common value for the call, one clause per run of layers
 * whose most common value differs.
 */
export function genericPlan(tensors: readonly TensorSlot[], expected: readonly Expected[]): ParamPlan {
  const counts = new Map<string, { v: Expected; n: number }>();
  expected.forEach((v) => {
    const c = counts.get(key(v)) ?? { v, n: 0 };
    c.n++;
    counts.set(key(v), c);
  });
  const common = [...counts.values()].sort((a, b) => b.n - a.n)[0]!.v;
  const byLayer = new Map<number, Map<string, { v: Expected; n: number }>>();
  tensors.forEach((t, i) => {
    if (t.layer === null) return;
    const m = byLayer.get(t.layer) ?? new Map();
    const c = m.get(key(expected[i]!)) ?? { v: expected[i]!, n: 0 };
    c.n++;
    m.set(key(expected[i]!), c);
    byLayer.set(t.layer, m);
  });
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  const layerValue = new Map(layers.map((l) => [l, [...byLayer.get(l)!.values()].sort((a, b) => b.n - a.n)[0]!.v]));
  const clauses: ParamPlan["clauses"] = [];
  for (let i = 0; i < layers.length; ) {
    const v = layerValue.get(layers[i]!)!;
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j]! + 1 && key(layerValue.get(layers[j + 1]!)!) === key(v)) j++;
    if (key(v) !== key(common)) clauses.push({ selector: { kind: "layers", from: layers[i]!, to: layers[j]! }, value: v });
    i = j + 1;
  }
  return { value: common, clauses };
}

/**
 * `guess` completed so that every tensor resolves to its expected value: clauses naming the tensors
 * that still differ are added last (they override everything before them).
 */
export function exactPlan(param: string, tensors: readonly TensorSlot[], expected: readonly Expected[], layerCount: number, guess: ParamPlan): ParamPlan {
  const plan: ParamPlan = { value: guess.value, clauses: [...guess.clauses] };
  const fixes: ParamPlan["clauses"] = [];
  tensors.forEach((t, i) => {
    if (same(resolved(param, plan, t.name, layerCount), expected[i]!)) return;
    const glob = exactGlob(t.name);
    if (glob !== null) fixes.push({ selector: { kind: "glob", pattern: glob }, value: expected[i]! });
  });
  plan.clauses.push(...fixes);
  return plan;
}
