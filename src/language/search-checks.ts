/**
 * search(...) spaces and the optimize(...) statement (spec: docs/recipe-language.md, "Searching
 * coefficients"): their values, the checks a space must pass against the parameter it is given to,
 * and what the analyzer records for src/search.
 */
import type * as A from "./ast.js";
import type { Analyzer } from "./analyzer.js";
import { describeRange, inRange, type FunctionSpec, type ParamSpec } from "./catalog.js";
import { diagnostic } from "./diagnostics.js";
import { formatNumber, isModelLike, UNKNOWN, type OptimizeRequest, type SearchDomain, type Value } from "./values.js";

/** One search space as given to one parameter: what src/search turns into dimensions. */
export interface SearchSite {
  /** The search(...) call: its source range is replaced by the candidate's value. */
  call: A.CallExpr;
  domain: SearchDomain;
  perModel: boolean;
  /** The parameter and the merge call it belongs to. */
  param: string;
  method: string;
  owner: A.CallExpr;
  /** The where clause the space is in, if any. */
  where: A.WhereClause | null;
  /** The models of the merge, as written (per-model dimensions are named after them). */
  modelNames: string[];
  integer: boolean;
}

export interface OptimizeStatement {
  call: A.CallExpr;
  request: OptimizeRequest;
}

type Get = (name: string) => Value | undefined;

/** search(lo..hi | [values], per_model?, steps?, log?). */
export function searchValue(an: Analyzer, call: A.CallExpr, get: Get): Value {
  const space = get("space");
  const spaceNode = call.args.find((a) => !a.name)?.value ?? call;
  const perModelValue = get("per_model");
  const perModel = perModelValue?.type === "Bool" && perModelValue.value;
  const steps = get("steps");
  const log = get("log");
  let domain: SearchDomain;
  if (space?.type === "Interval") {
    if (!(space.from < space.to)) {
      an.report(diagnostic("bad-search-space", "error", spaceNode.range, `the interval ${formatNumber(space.from)}..${formatNumber(space.to)} is empty: write the smaller end first`));
      return UNKNOWN;
    }
    const isLog = log?.type === "Bool" && log.value;
    if (isLog && space.from <= 0) {
      an.report(diagnostic("bad-search-space", "error", spaceNode.range, "log: true needs an interval above 0, e.g. search(1e-4..1e-1, log: true)"));
      return UNKNOWN;
    }
    domain = { kind: "interval", from: space.from, to: space.to, steps: steps?.type === "Number" ? steps.value : null, log: isLog };
  } else if (space?.type === "List") {
    const values = space.items.map((i) => (i.type === "Number" ? i.value : NaN));
    if (values.length === 0 || values.some((v) => Number.isNaN(v))) {
      an.report(diagnostic("bad-search-space", "error", spaceNode.range, "a list search space holds numbers to try, e.g. search([0.1, 0.2, 0.5])"));
      return UNKNOWN;
    }
    if (steps) an.report(diagnostic("bad-search-space", "error", call.args.find((a) => a.name?.name === "steps")!.range, "steps: is for an interval; a list already names its values"));
    domain = { kind: "choice", values };
  } else return UNKNOWN;
  return { type: "Search", call, domain, perModel };
}

/** `lo..hi`: both ends numbers. */
export function intervalValue(an: Analyzer, e: A.RangeExpr): Value {
  const from = an.expr(e.from);
  const to = e.to ? an.expr(e.to) : UNKNOWN;
  if (from.type === "Unknown" || to.type === "Unknown") return UNKNOWN;
  if (from.type !== "Number" || to.type !== "Number") {
    an.report(diagnostic("bad-search-space", "error", e.range, "both ends of a range are numbers, as in search(0.3..1.5)"));
    return UNKNOWN;
  }
  return { type: "Interval", from: from.value, to: to.value };
}

/**
 * Does a search space fit the parameter it is given to? Every value it can take must pass the
 * parameter's own checks (range, whole numbers), and per_model needs a per-model parameter.
 */
export function checkSearchSpace(spec: FunctionSpec, param: ParamSpec, value: Extract<Value, { type: "Search" }>, fail: (code: "wrong-type" | "out-of-range", m: string) => false): boolean {
  if (!param.types.includes("Number") && !param.perModel) {
    return fail("wrong-type", `'${param.name}' of ${spec.name}() cannot be searched: search(...) is for number parameters`);
  }
  if (value.perModel && !param.perModel) {
    const perModel = spec.params.filter((p) => p.perModel).map((p) => p.name);
    return fail("wrong-type", `'${param.name}' of ${spec.name}() has one value for all models, so per_model: true does not apply${perModel.length ? `; per model ${spec.name}() takes ${perModel.join(", ")}` : ""}`);
  }
  const d = value.domain;
  const ends = d.kind === "interval" ? [d.from, d.to] : d.values;
  for (const v of ends) {
    if (param.range && !inRange(v, param.range)) return fail("out-of-range", `the search space of '${param.name}' reaches ${formatNumber(v)}, but '${param.name}' must be ${describeRange(param.range)}`);
    if (param.integer && d.kind === "choice" && !Number.isInteger(v)) return fail("out-of-range", `'${param.name}' must be a whole number, and the search space holds ${formatNumber(v)}`);
  }
  return true;
}

/** What a parameter holds while the recipe is checked and planned: the space's middle (or first value). */
export function representative(value: Extract<Value, { type: "Search" }>, modelCount: number): number | number[] {
  const d = value.domain;
  const x = d.kind === "choice" ? d.values[0]! : d.log ? Math.sqrt(d.from * d.to) : (d.from + d.to) / 2;
  return value.perModel ? new Array<number>(Math.max(1, modelCount)).fill(x) : x;
}

/** optimize(model, metric?, goal, strategy, budget, seed, parallel, timeout, out?, dtype?, sigma). */
export function optimizeValue(an: Analyzer, call: A.CallExpr, get: Get): Value {
  const model = get("model");
  if (!model || !isModelLike(model)) return UNKNOWN;
  const str = (n: string): string | null => {
    const v = get(n);
    return v?.type === "String" ? v.value : null;
  };
  const num = (n: string, fallback: number): number => {
    const v = get(n);
    return v?.type === "Number" ? v.value : fallback;
  };
  const metric = str("metric");
  if (metric !== null && metric.trim() === "") {
    an.report(diagnostic("bad-search-space", "error", call.args.find((a) => a.name?.name === "metric")!.range, 'the metric command is empty: give a command that prints a number, e.g. "python eval.py {model}"'));
  }
  const request: OptimizeRequest = {
    model,
    metric,
    goal: str("goal") === "min" ? "min" : "max",
    strategy: (str("strategy") as OptimizeRequest["strategy"] | null) ?? "grid",
    budget: num("budget", 20),
    seed: num("seed", 0),
    parallel: num("parallel", 1),
    timeout: num("timeout", 3600),
    out: str("out"),
    dtype: str("dtype"),
    sigma: num("sigma", 0.3),
  };
  an.recordOptimize({ call, request });
  return { type: "Effect", call, effect: { kind: "optimize", ...request } };
}

/** After the last statement: spaces need an optimize(...), and optimize(...) needs spaces. */
export function checkSearchPlan(an: Analyzer, sites: readonly SearchSite[], optimizers: readonly OptimizeStatement[]): void {
  const first = optimizers[0];
  for (const extra of optimizers.slice(1)) {
    an.report(
      diagnostic("optimize-twice", "error", extra.call.callee.range, "a recipe has one optimize(...): it searches every search(...) space at once", {
        related: [{ message: "the first optimize(...) is here", range: first!.call.callee.range }],
      }),
    );
  }
  if (sites.length > 0 && !first) {
    const site = sites[0]!;
    an.report(
      diagnostic(
        "search-without-optimize",
        "error",
        site.call.range,
        `this recipe has search spaces but nothing searches them: add a statement such as optimize(merged, metric: "python eval.py {model}", strategy: "cmaes", budget: 30), then run mergelang search`,
      ),
    );
  }
  if (first && sites.length === 0) {
    an.report(
      diagnostic("optimize-without-search", "error", first.call.callee.range, "optimize(...) has nothing to search: give a merge parameter a search space, e.g. lambda: search(0.3..1.5)"),
    );
  }
}
