/** Checking one call against its catalog entry, and computing its value (spec §5). */
import type * as A from "./ast.js";
import type { Analyzer } from "./analyzer.js";
import { describeRange, inRange, type FunctionSpec, type ParamSpec } from "./catalog.js";
import { diagnostic } from "./diagnostics.js";
import { closest } from "./suggest.js";
import { parseSize } from "../io/size.js";
import { checkSelector } from "./model-checks.js";
import { LORA_SEPARATOR } from "../io/lora-model.js";
import { classify, formatNumber, isModelLike, typeName, UNKNOWN, type ModelFamily, type ModelLike, type Value } from "./values.js";
import { stackPartsOf, stackValue, type LayerPart } from "./stacking.js";
import { saveVocabulary, tokenRule } from "./save-vocabulary.js";
import { checkSearchSpace, optimizeValue, representative, searchValue } from "./search-checks.js";
import type { ParamTable, ParamValue, Selector, WhereClause } from "../graph/graph.js";

export interface CallInfo {
  call: A.CallExpr;
  spec: FunctionSpec;
  /** The parameter each argument fills (absent for arguments that fill none). */
  argParams: Map<A.Argument, ParamSpec>;
  /** Names of the parameters given, positionally or by name. */
  given: Set<string>;
  value: Value;
  /** The family of the call's models, when known from headers. */
  family: ModelFamily | null;
}

interface Bound {
  param: ParamSpec;
  arg: A.Argument;
  value: Value;
}

/** A function's parameters indexed once: every call of a long recipe looks them up. */
interface ParamIndex {
  named: Map<string, ParamSpec>; // the non-variadic parameters, by name
  positional: ParamSpec[];
  variadic: ParamSpec | undefined;
}
const paramIndexes = new WeakMap<FunctionSpec, ParamIndex>();

function paramIndex(spec: FunctionSpec): ParamIndex {
  let index = paramIndexes.get(spec);
  if (!index) {
    index = {
      named: new Map(spec.params.filter((p) => !p.variadic).map((p) => [p.name, p])),
      positional: spec.params.filter((p) => p.positional),
      variadic: spec.params.find((p) => p.variadic),
    };
    paramIndexes.set(spec, index);
  }
  return index;
}

export function checkCall(an: Analyzer, spec: FunctionSpec, call: A.CallExpr): Value {
  const argParams = new Map<A.Argument, ParamSpec>();
  const given = new Map<string, Bound[]>();
  const { named, positional, variadic } = paramIndex(spec);
  let nextPositional = 0;
  let sawNamed = false;

  for (const arg of call.args) {
    let param: ParamSpec | undefined;
    if (arg.name) {
      sawNamed = true;
      const name = arg.name.name;
      param = named.get(name);
      if (!param) {
        const candidates = spec.params.filter((p) => !p.variadic && !given.has(p.name)).map((p) => p.name);
        const s = closest(name, candidates);
        an.report(
          diagnostic("unknown-parameter", "error", arg.name.range, `${spec.name}() has no parameter '${name}'${s ? `: did you mean '${s}'?` : ""}`, {
            ...(s ? { fixes: [{ title: `Change to '${s}'`, edits: [{ range: arg.name.range, newText: s }] }] } : {}),
          }),
        );
      } else if (given.has(name)) {
        an.report(diagnostic("duplicate-parameter", "error", arg.name.range, `'${name}' is given twice in this call to ${spec.name}()`));
        param = undefined;
      }
    } else {
      if (sawNamed) {
        an.report(
          diagnostic("positional-after-named", "error", arg.range, `positional arguments must come before named ones in a call to ${spec.name}()`),
        );
      }
      param = positional[nextPositional];
      if (param && !param.variadic) nextPositional++;
      if (!param) {
        const max = positional.length;
        an.report(
          diagnostic(
            "too-many-arguments",
            "error",
            arg.range,
            `${spec.name}() takes ${max === 0 ? "no" : `at most ${max}`} positional argument${max === 1 ? "" : "s"}; name the others (e.g. density: 0.2)`,
          ),
        );
      }
    }
    const given0 = arg.value ? an.use(an.expr(arg.value), arg.value) : UNKNOWN;
    if (!param) continue;
    const value = canonicalChoice(param, given0);
    argParams.set(arg, param);
    const list = given.get(param.name) ?? [];
    list.push({ param, arg, value });
    given.set(param.name, list);
  }

  const models = variadic ? (given.get(variadic.name) ?? []) : [];
  // Per-model lists are indexed by the positional models (or task vectors, for trim).
  const modelCount = variadic
    ? models.length
    : spec.params.filter((p) => p.positional && (p.types.includes("Model") || p.types.includes("Delta")) && given.has(p.name)).length;
  let ok = true;

  if (variadic) {
    const min = variadic.minCount ?? 0;
    if (modelCount < min) {
      ok = false;
      const what = variadic.types[0] === "Model" ? "model" : variadic.types[0] === "Delta" ? "task vector" : "value";
      an.report(
        diagnostic(
          "too-few-models",
          "error",
          call.callee.range,
          `${spec.name}() needs at least ${min} ${what}${min === 1 ? "" : "s"}, given ${modelCount}`,
        ),
      );
    }
    if (variadic.maxCount !== undefined && modelCount > variadic.maxCount) {
      ok = false;
      an.report(
        diagnostic("too-many-arguments", "error", models[variadic.maxCount]!.arg.range, `${spec.name}() takes exactly ${variadic.maxCount} models`),
      );
    }
  }

  for (const bounds of given.values()) {
    for (const b of bounds) {
      if (!checkValue(an, spec, b.param, b.value, b.arg.value ?? b.arg, modelCount)) ok = false;
      else if (b.value.type === "Search") recordSearchSite(an, spec, b.param, b.value, call, null, b.arg.value ?? b.arg);
    }
  }

  for (const p of spec.params) {
    if (p.variadic || p.optional || p.default !== undefined || given.has(p.name)) continue;
    ok = false;
    // An unclosed call already has its syntax error; what looks missing is usually behind it.
    if (call.closed) reportMissing(an, spec, call, p);
  }

  for (const c of call.where) if (spec.kind !== "merge") an.report(diagnostic("where-not-allowed", "error", c.range, `a where clause can only follow a merge call, not ${spec.name}()`));

  const get = (name: string): Value | undefined => given.get(name)?.[0]?.value;
  let value: Value = UNKNOWN;
  let family: ModelFamily | null = null;
  if (ok) ({ value, family } = evaluate(an, spec, call, get, models.map((m) => m.value), modelCount));
  else if (spec.kind === "merge" || spec.kind === "source") family = null;
  an.recordCall({ call, spec, argParams, given: new Set(given.keys()), value, family });
  return value;
}

/** Another spelling of a choice (e.g. "bfloat16" for "bf16") stands for the choice itself. */
function canonicalChoice(param: ParamSpec, value: Value): Value {
  const alias = value.type === "String" ? param.aliases?.[value.value] : undefined;
  return alias === undefined ? value : { type: "String", value: alias };
}

/** A search space given to a parameter: kept for optimize(...) when the function can take one. */
function recordSearchSite(an: Analyzer, spec: FunctionSpec, param: ParamSpec, value: Extract<Value, { type: "Search" }>, owner: A.CallExpr, where: A.WhereClause | null, node: { range: A.Range }): void {
  if (!["merge", "delta-op", "helper"].includes(spec.kind)) {
    an.report(diagnostic("bad-search-space", "error", node.range, `${spec.name}() takes no search space: search(...) is for the number parameters of merges, e.g. ties(..., lambda: search(0.3..1.5))`));
    return;
  }
  const modelNames = owner.args.filter((a) => !a.name && a.value).map((a) => an.source(a.value!));
  an.recordSearchSite({ call: value.call, domain: value.domain, perModel: value.perModel, param: param.name, method: spec.name, owner, where, modelNames, integer: param.integer === true });
}

function reportMissing(an: Analyzer, spec: FunctionSpec, call: A.CallExpr, p: ParamSpec): void {
  const fixes = [];
  if (p.name === "base" && call.closed) {
    const candidate = an.binding("base") ? "base" : an.boundNames().find((n) => /base|pretrain/i.test(n));
    const insertAt = call.argsRange.end;
    const at = { offset: insertAt.offset - 1, line: insertAt.line, column: insertAt.column - 1 };
    const sep = call.args.length ? ", " : "";
    fixes.push({ title: `Add base: ${candidate ?? "base"}`, edits: [{ range: { start: at, end: at }, newText: `${sep}base: ${candidate ?? "base"}` }] });
  }
  const how = p.positional ? `the ${p.name} argument` : `'${p.name}:'`;
  an.report(
    diagnostic("missing-parameter", "error", call.callee.range, `${spec.name}() needs ${how} (${p.doc})`, fixes.length ? { fixes } : {}),
  );
}

/** Does `value` fit `param`? Reports and returns false when it does not. */
export function checkValue(an: Analyzer, spec: FunctionSpec, param: ParamSpec, value: Value, node: { range: A.Range }, modelCount: number): boolean {
  if (value.type === "Unknown") return false;
  const fail = (code: "wrong-type" | "out-of-range" | "bad-enum" | "list-length" | "ramp-misuse", message: string, fixes?: { title: string; edits: { range: A.Range; newText: string }[] }[]): false => {
    an.report(diagnostic(code, "error", node.range, message, fixes ? { fixes } : {}));
    return false;
  };
  const accepts = (t: string) => param.types.includes(t as never);
  const numeric = accepts("Number");
  if (value.type === "Search") return checkSearchSpace(spec, param, value, fail);
  if (value.type === "Interval" && !accepts("Interval")) return fail("wrong-type", `a range lo..hi is a search space: write ${param.name}: search(${"lo..hi"}) and search it with optimize(...)`);
  if (value.type === "Interval") return true;

  if (value.type === "Ramp") {
    if (!numeric || !param.perTensor) return fail("ramp-misuse", `'${param.name}' of ${spec.name}() cannot vary per layer, so ramp(...) is not allowed here`);
    return (value.points ?? [value.from, value.to]).every((x) => checkNumber(param, x, fail));
  }
  if (value.type === "List" && param.items === "Token") {
    const bad = value.items.find((i) => i.type !== "Token");
    return !bad || fail("wrong-type", `'${param.name}' takes a list of token(...) rules; this list holds ${typeName(bad)}`);
  }
  if (value.type === "List" && (param.perModel || accepts("List"))) {
    for (const item of value.items) {
      if (item.type !== "Number") return fail("wrong-type", `'${param.name}' takes numbers, one per model; this list holds ${typeName(item)}`);
      if (param.range && !checkNumber(param, item.value, fail)) return false;
    }
    if (modelCount > 0 && value.items.length !== modelCount) {
      return fail("list-length", `'${param.name}' has ${value.items.length} value${value.items.length === 1 ? "" : "s"} but ${spec.name}() merges ${modelCount} model${modelCount === 1 ? "" : "s"}: give one per model`);
    }
    return true;
  }
  if (value.type === "Number" && (numeric || accepts("Size") || (accepts("List") && param.perModel))) {
    if (accepts("Size")) return parseByteSize(value.value) !== null || fail("out-of-range", `'${param.name}' must be a positive number of bytes`);
    return checkNumber(param, value.value, fail);
  }
  if (value.type === "String" && (accepts("String") || accepts("Size"))) {
    if (accepts("Size") && !accepts("String")) {
      return parseByteSize(value.value) !== null || fail("wrong-type", `'${value.value}' is not a size: write e.g. "5GB", "500MB", "2GiB" or a number of bytes`);
    }
    if (param.choices && !param.choices.includes(value.value)) {
      const s = closest(value.value, param.choices);
      const choices = param.choices.map((c) => `"${c}"`).join(", ");
      return fail("bad-enum", `'${param.name}' must be one of ${choices}, not "${value.value}"${s ? `: did you mean "${s}"?` : ""}`,
        s ? [{ title: `Change to "${s}"`, edits: [{ range: node.range, newText: `"${s}"` }] }] : undefined);
    }
    return true;
  }
  if (value.type === "Bool" && accepts("Bool")) return true;
  if (value.type === "Layers" && accepts("Layers")) return true;
  if (value.type === "Token" && accepts("Token")) return true;
  if (value.type === "Model" && accepts("Model")) return true;
  if (value.type === "Delta" && accepts("Delta")) return true;
  if (accepts("Any") && value.type !== "Function") return true;
  let hint = "";
  if (value.type === "Delta" && accepts("Model")) hint = ": add it to a base model, e.g. base + (m - base)";
  else if (value.type === "Model" && accepts("Delta")) hint = ": subtract the base model to get a task vector, e.g. m - base";
  else if (value.type === "String" && numeric) hint = ": remove the quotes";
  return fail("wrong-type", `'${param.name}' of ${spec.name}() takes ${expectedText(param)}, but this is ${typeName(value)}${hint}`);
}

/** Bytes, or null when the value is not a size. */
function parseByteSize(v: string | number): number | null {
  try {
    return parseSize(v);
  } catch {
    return null;
  }
}

function expectedText(p: ParamSpec): string {
  const words: Record<string, string> = {
    Number: "a number",
    String: "a string",
    Bool: "true or false",
    List: "a list of numbers",
    Model: "a model",
    Delta: "a task vector (m - base)",
    Size: 'a size such as "5GB"',
    Layers: "a layer range such as layers 0..15",
    Any: "a value",
  };
  const parts = p.types.map((t) => words[t] ?? t);
  if (p.perModel && !p.types.includes("List")) parts.push("a list with one number per model");
  return parts.join(" or ");
}

function checkNumber(p: ParamSpec, v: number, fail: (code: "out-of-range", m: string) => false): boolean {
  if (p.integer && !Number.isInteger(v)) return fail("out-of-range", `'${p.name}' must be a whole number, not ${formatNumber(v)}`);
  if (p.range && !inRange(v, p.range)) return fail("out-of-range", `'${p.name}' must be ${describeRange(p.range)}, not ${formatNumber(v)}`);
  return true;
}

function toParamValue(v: Value, modelCount: number): ParamValue | undefined {
  switch (v.type) {
    case "Search":
      return representative(v, modelCount);
    case "Number":
      return v.value;
    case "String":
      return v.value;
    case "Bool":
      return v.value;
    case "Ramp":
      return { kind: "ramp", from: v.from, to: v.to, ...(v.points ? { points: v.points } : {}) };
    case "List":
      return v.items.map((i) => (i.type === "Number" ? i.value : NaN));
    default:
      return undefined;
  }
}

/** The call's parameters for the graph: given values, else catalog defaults; then its where clauses. */
function paramTable(an: Analyzer, spec: FunctionSpec, call: A.CallExpr, get: (n: string) => Value | undefined, modelCount: number, family: ModelFamily | null): ParamTable {
  const values: Record<string, ParamValue> = {};
  for (const p of spec.params) {
    if (p.variadic || p.types.includes("Model") || p.types.includes("Delta")) continue;
    const v = get(p.name);
    const pv = v ? toParamValue(v, modelCount) : p.default;
    if (pv !== undefined) values[p.name] = pv;
  }
  const where: WhereClause[] = [];
  for (const clause of call.where) {
    const c = whereClause(an, spec, call, clause, modelCount, family);
    if (c) where.push(c);
  }
  return { values, where, modelCount };
}

function whereClause(an: Analyzer, spec: FunctionSpec, owner: A.CallExpr, clause: A.WhereClause, modelCount: number, family: ModelFamily | null): WhereClause | null {
  let selector: Selector | null = null;
  const sel = clause.selector;
  if (sel?.kind === "GlobSelector") {
    if (sel.pattern.value.trim() === "") an.report(diagnostic("bad-selector", "error", sel.range, 'an empty tensor-name pattern selects nothing: write e.g. "*.mlp.*"'));
    else selector = { kind: "glob", pattern: sel.pattern.value };
  } else if (sel?.kind === "LayerSelector" && sel.from) {
    const from = sel.from.value;
    const to = sel.to ? sel.to.value : from;
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < 0 || sel.from.percent || sel.to?.percent) {
      an.report(diagnostic("bad-selector", "error", sel.range, "layer numbers are whole numbers from 0, as in layers 0..3"));
    } else if (from > to) {
      an.report(
        diagnostic("bad-selector", "error", sel.range, `layers ${from}..${to} is empty: the first layer must not be after the last (did you mean ${to}..${from}?)`, {
          fixes: [{ title: `Change to layers ${to}..${from}`, edits: [{ range: sel.range, newText: `layers ${to}..${from}` }] }],
        }),
      );
    } else selector = { kind: "layers", from, to };
  }
  if (selector && family) checkSelector(an, selector, sel!.range, family);

  const values: Record<string, ParamValue> = {};
  const seen = new Set<string>();
  let ok = selector !== null;
  for (const entry of clause.entries) {
    const name = entry.name.name;
    const value = entry.value ? an.use(an.expr(entry.value), entry.value) : UNKNOWN;
    const param = paramIndex(spec).named.get(name);
    if (!param) {
      const s = closest(name, spec.params.filter((p) => p.perTensor).map((p) => p.name));
      an.report(
        diagnostic("unknown-parameter", "error", entry.name.range, `${spec.name}() has no parameter '${name}'${s ? `: did you mean '${s}'?` : ""}`, {
          ...(s ? { fixes: [{ title: `Change to '${s}'`, edits: [{ range: entry.name.range, newText: s }] }] } : {}),
        }),
      );
      ok = false;
      continue;
    }
    if (!param.perTensor) {
      const varying = spec.params.filter((p) => p.perTensor).map((p) => p.name);
      an.report(
        diagnostic("where-parameter", "error", entry.name.range, `'${name}' cannot vary per tensor${varying.length ? `; in a where clause ${spec.name}() takes ${varying.join(", ")}` : ""}`),
      );
      ok = false;
      continue;
    }
    if (seen.has(name)) {
      an.report(diagnostic("duplicate-parameter", "error", entry.name.range, `'${name}' is set twice in this where clause`));
      ok = false;
      continue;
    }
    seen.add(name);
    if (!checkValue(an, spec, param, value, entry.value ?? entry, modelCount)) {
      ok = false;
      continue;
    }
    warnTrimsEverything(an, spec, name, value, entry.value ?? entry);
    if (value.type === "Search") recordSearchSite(an, spec, param, value, owner, clause, entry.value ?? entry);
    const pv = toParamValue(value, modelCount);
    if (pv !== undefined) values[name] = pv;
  }
  return ok && selector ? { selector, values, origin: { file: "", line: clause.range.start.line, column: clause.range.start.column } } : null;
}

function warnTrimsEverything(an: Analyzer, spec: FunctionSpec, name: string, value: Value, node: { range: A.Range }): void {
  if (name !== "density" || !["ties", "trim", "interference"].includes(spec.name)) return;
  const zero = value.type === "Number" ? value.value === 0 : value.type === "List" ? value.items.some((i) => i.type === "Number" && i.value === 0) : false;
  if (zero) an.report(diagnostic("trims-everything", "warning", node.range, "density 0 trims every delta: the merge returns the base model unchanged"));
}

/**
 * passthrough(m..., scale): several models are stacked layer by layer (slices flatten into one
 * stack); `scale` or where clauses add a scaling merge on top; one model unscaled is itself.
 */
function passthrough(
  an: Analyzer,
  spec: FunctionSpec,
  call: A.CallExpr,
  get: (n: string) => Value | undefined,
  models: ModelLike[],
): { value: Value; family: ModelFamily | null } {
  let input: ModelLike;
  let family: ModelFamily | null;
  if (models.length >= 2) {
    const parts: LayerPart[] = models.flatMap((m) => (stackPartsOf(m) ?? [{ model: m, from: 0, to: null }]).map((p) => ({ ...p, range: m.range })));
    const stacked = stackValue(an, call, parts);
    if (stacked.value.type === "Unknown" || !isModelLike(stacked.value)) return stacked;
    input = stacked.value;
    family = stacked.family;
  } else {
    input = models[0]!;
    family = an.checkSameFamily([input], call.range);
  }
  if (get("scale") === undefined && call.where.length === 0) return { value: classify(input.form, call.range), family };
  const params = paramTable(an, spec, call, get, 1, family);
  const atom = an.addAtom((id) => ({ kind: "merge" as const, id, method: "passthrough", call, models: [input], base: null, params, scope: "tensor" as const, family }));
  return { value: classify(new Map([[atom, 1]]), call.range), family };
}

/** `lora(adapter, base: m)`: the adapter's update as a task vector, (m with the adapter) − m. */
function loraDelta(an: Analyzer, call: A.CallExpr, get: (n: string) => Value | undefined): { value: Value; family: ModelFamily | null } {
  const adapter = get("adapter");
  const base = get("base");
  if (adapter?.type !== "String" || !base || !isModelLike(base)) return { value: UNKNOWN, family: null };
  const [atom, coef] = base.form.size === 1 ? [...base.form][0]! : [null, 0];
  const baseArg = call.args.find((a) => a.name?.name === "base")?.value ?? call;
  if (atom?.kind !== "load" || coef !== 1 || atom.path.includes(LORA_SEPARATOR)) {
    an.report(diagnostic("wrong-type", "error", baseArg.range, "the base of lora(...) must be a model(...) as loaded, without an adapter: the update is taken relative to it"));
    return { value: UNKNOWN, family: null };
  }
  const range = call.args.find((a) => a.value?.kind === "StringLiteral")?.value?.range ?? call.range;
  const adapted = an.loadAtom(call, atom.path, range, atom.dtype, adapter.value);
  return { value: classify(new Map([[adapted, 1], [atom, -1]]), call.range), family: adapted.family ?? atom.family };
}

function modelLikes(values: Value[]): ModelLike[] {
  return values.filter(isModelLike);
}

function evaluate(
  an: Analyzer,
  spec: FunctionSpec,
  call: A.CallExpr,
  get: (n: string) => Value | undefined,
  positionalModels: Value[],
  modelCount: number,
): { value: Value; family: ModelFamily | null } {
  const density = get("density");
  if (density) warnTrimsEverything(an, spec, "density", density, call.args.find((a) => a.name?.name === "density")?.value ?? call);
  switch (spec.kind) {
    case "source": {
      if (spec.name === "lora") return loraDelta(an, call, get);
      const path = get("path");
      if (path?.type !== "String") return { value: UNKNOWN, family: null };
      const pathArg = call.args.find((a) => a.value?.kind === "StringLiteral");
      const range = pathArg?.value?.range ?? call.range;
      // An unterminated string already has its error; looking it up would only add noise.
      if (pathArg?.value?.kind === "StringLiteral" && !pathArg.value.terminated) return { value: UNKNOWN, family: null };
      if (path.value.trim() === "") {
        an.report(diagnostic("bad-path", "error", range, "the model path is empty: give a folder with model.safetensors, or a .safetensors file"));
        return { value: UNKNOWN, family: null };
      }
      const dtype = get("dtype");
      const lora = get("lora");
      const atom = an.loadAtom(call, path.value, range, dtype?.type === "String" ? dtype.value : null, lora?.type === "String" && lora.value.trim() !== "" ? lora.value : null);
      return { value: classify(new Map([[atom, 1]]), call.range), family: atom.family };
    }
    case "layout": {
      // slice(m, layers a..b)
      const model = get("model");
      const layers = get("layers");
      if (!model || !isModelLike(model) || layers?.type !== "Layers") return { value: UNKNOWN, family: null };
      const range = call.args[1]?.value?.range ?? call.range;
      return stackValue(an, call, [{ model, from: layers.from, to: layers.to, range }]);
    }
    case "merge": {
      if (spec.name === "passthrough") return passthrough(an, spec, call, get, modelLikes(positionalModels));
      const models = modelLikes(positionalModels);
      const baseValue = get("base");
      const base = baseValue && isModelLike(baseValue) ? baseValue : null;
      const family = an.checkSameFamily(base ? [...models, base] : models, call.range);
      const params = paramTable(an, spec, call, get, modelCount, family);
      const scopeValue = get("scope");
      const scope = scopeValue?.type === "String" && scopeValue.value === "global" ? "global" : "tensor";
      const atom = an.addAtom((id) => ({ kind: "merge" as const, id, method: spec.name, call, models, base, params, scope, family }));
      return { value: classify(new Map([[atom, 1]]), call.range), family };
    }
    case "delta-op": {
      // trim's task vector is a plain positional parameter; elect's and disjoint_mean's are variadic.
      const fixed = spec.params.filter((p) => p.positional && !p.variadic && p.types.includes("Delta")).map((p) => get(p.name));
      const inputs = modelLikes([...fixed.filter((v): v is Value => v !== undefined), ...positionalModels]);
      const sign = get("sign");
      if (sign && isModelLike(sign)) inputs.push(sign);
      const family = an.checkSameFamily(inputs, call.range);
      const params = paramTable(an, spec, call, get, modelCount, family);
      const op = spec.name as "trim" | "elect" | "disjoint_mean";
      const atom = an.addAtom((id) => ({ kind: "delta_op" as const, id, op, call, inputs, params, family }));
      return { value: classify(new Map([[atom, 1]]), call.range), family };
    }
    case "report": {
      const models = modelLikes(positionalModels);
      const base = get("base");
      if (!base || !isModelLike(base)) return { value: UNKNOWN, family: null };
      const family = an.checkSameFamily([...models, base], call.range);
      const d = get("density");
      const by = get("by");
      const spectral = get("spectral");
      return {
        value: {
          type: "Report",
          call,
          report: { models, base, density: d?.type === "Number" ? d.value : 0.2, by: by?.type === "String" && by.value === "tensor" ? "tensor" : "layer",
            spectral: spectral?.type === "Bool" && spectral.value,
          },
        },
        family,
      };
    }
    case "effect": {
      if (spec.name === "print") return { value: { type: "Effect", call, effect: { kind: "print", values: positionalModels } }, family: null };
      const model = get("model");
      const path = get("path");
      if (!model || !isModelLike(model) || path?.type !== "String") return { value: UNKNOWN, family: null };
      if (path.value.trim() === "") {
        an.report(diagnostic("bad-path", "error", call.range, "the output path is empty"));
        return { value: UNKNOWN, family: null };
      }
      const dtype = get("dtype");
      const shard = get("shard_size");
      const copy = get("copy_tokenizer");
      const overwrite = get("overwrite");
      const allowNonFinite = get("allow_nonfinite");
      const pathArg = call.args.find((a) => a.name?.name === "path") ?? call.args.filter((a) => !a.name)[1];
      const shardSize = parseByteSize(shard?.type === "String" || shard?.type === "Number" ? shard.value : "5GB") ?? 5e9;
      const vocab = saveVocabulary(an, call, get, model);
      if (!vocab) return { value: UNKNOWN, family: null };
      return {
        value: {
          type: "Effect",
          call,
          effect: {
            kind: "save",
            model,
            path: path.value,
            pathRange: pathArg?.value?.range ?? call.range,
            dtype: dtype?.type === "String" ? dtype.value : null,
            shardSize,
            copyTokenizer: copy?.type === "Bool" ? copy.value : true,
            overwrite: overwrite?.type === "Bool" ? overwrite.value : false,
            allowNonFinite: allowNonFinite?.type === "Bool" ? allowNonFinite.value : false,
            ...vocab,
          },
        },
        family: null,
      };
    }
    case "search":
      return { value: spec.name === "search" ? searchValue(an, call, get) : optimizeValue(an, call, get), family: null };
    case "helper": {
      if (spec.name === "token") return { value: tokenRule(an, call, get), family: null };
      if (spec.name === "gradient") {
        const points = positionalModels.map((v) => (v.type === "Number" ? v.value : NaN));
        if (points.length < 2 || points.some((x) => Number.isNaN(x))) return { value: UNKNOWN, family: null };
        return { value: { type: "Ramp", from: points[0]!, to: points[points.length - 1]!, points }, family: null };
      }
      const from = get("from");
      const to = get("to");
      if (from?.type !== "Number" || to?.type !== "Number") return { value: UNKNOWN, family: null };
      return { value: { type: "Ramp", from: from.value, to: to.value }, family: null };
    }
  }
}
