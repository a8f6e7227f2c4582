/**
 * mergekit config → recipe. One merge call per output slice (one for the `models:` form), over
 * slice(...)s of the source models where a slice takes part of their layers; several slices are
 * stacked with passthrough(...). Every parameter is evaluated per tensor exactly as mergekit
 * evaluates it (settings.ts) and written as call values and where clauses that the engine resolves
 * to the same values (param-emit.ts).
 */
import { basename, extname } from "node:path";
import type { Range } from "../language/ast.js";
import { DTYPE_ALIASES, lookupFunction } from "../language/catalog.js";
import type { ModelLookup } from "../language/model-lookup.js";
import { closest } from "../language/suggest.js";
import { formatNumber, type ModelFamily } from "../language/values.js";
import type { ParamScalar, ParamValue, Selector } from "../graph/graph.js";
import { layerIndex } from "../graph/params.js";
import { renumberLayer, stackTensors, StackError } from "../graph/stack.js";
import type { Located, MergekitConfig, ParamMap, PlainSetting, Setting, SourceDef } from "./config.js";
import { METHODS, UNSUPPORTED_METHODS, type GlobalParam, type MethodSpec } from "./methods.js";
import { ModelRefs, type ModelRef } from "./model-refs.js";
import type { ModelResolver } from "../hub/model-resolver.js";
import { exactPlan, genericPlan, type Expected, type ParamPlan, type TensorSlot } from "./param-emit.js";
import { RecipeWriter, type RecipeSourceMap } from "./recipe-writer.js";
import { globalValue, gradientPosition, modelValue, settingRange, type ParamLevels, type SettingValue } from "./settings.js";
import type { YamlFile } from "./yaml-doc.js";

export interface TranslateOptions {
  /** The output folder written into save(...), relative to the YAML file. */
  output?: string;
  models?: ModelLookup | null;
  resolver?: ModelResolver;
}

/** One source of a slice, as the recipe reads it. */
interface Part {
  source: SourceDef;
  model: ModelRef;
  /** Inclusive layer range taken, or null for the whole model. */
  layers: [number, number] | null;
}

/** One merge call: an output slice (or the whole `models:` list). */
interface Unit {
  levels: ParamLevels;
  merged: Part[];
  /** The source index (into levels.sources) of each merged part. */
  indices: number[];
  base: Part | null;
  baseRange: Range | null;
  range: Range;
  /** First output layer of this slice in the stacked model. */
  offset: number;
  layerCount: number | null;
  family: ModelFamily | null;
}

const numberText = (x: number): string => formatNumber(x);

function scalarText(v: ParamScalar): string {
  if (typeof v === "number") return numberText(v);
  if (typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function valueText(v: ParamValue): string {
  if (Array.isArray(v)) return `[${v.map(numberText).join(", ")}]`;
  if (typeof v === "object") return v.points && v.points.length > 2 ? `gradient(${v.points.map(numberText).join(", ")})` : `ramp(${numberText(v.from)}, ${numberText(v.to)})`;
  return scalarText(v);
}

function selectorText(s: Selector): string {
  if (s.kind === "glob") return JSON.stringify(s.pattern);
  return s.from === s.to ? `layers ${s.from}` : `layers ${s.from}..${s.to}`;
}

const selectorKey = (s: Selector): string => JSON.stringify(s);

export class Translator {
  private readonly refs: ModelRefs;
  private readonly out: RecipeWriter = new RecipeWriter();
  private readonly resultName: string;

  constructor(
    private readonly yaml: YamlFile,
    private readonly cfg: MergekitConfig,
    private readonly file: string,
    private readonly options: TranslateOptions,
  ) {
    this.refs = new ModelRefs(yaml, file, options.models ?? null, options.resolver);
    this.resultName = this.refs.unique("merged");
  }

  translate(): { text: string; map: RecipeSourceMap } | null {
    const method = this.method();
    if (!method) return null;
    const units = this.units(method);
    if (!units) return null;
    const dtype = this.outputDType();
    const tokenizer = this.tokenizerArgs();

    this.out.write(`# Imported from the mergekit config ${basename(this.file)} (merge_method: ${this.cfg.method.value}) by mergelang import.\n`);
    for (const m of this.refs.all()) {
      const lora = m.lora === null ? "" : `, lora: ${JSON.stringify(m.lora)}`;
      this.out.from(m.range, `${m.binding} = model(${JSON.stringify(m.path)}${lora})`).write("\n");
    }
    this.out.write("\n");

    let result: string;
    if (method.ours === "passthrough") {
      result = this.passthrough(units);
    } else if (units.length === 1) {
      this.call(method, units[0]!, this.resultName);
      result = this.resultName;
    } else {
      const names = units.map((u, i) => {
        const name = this.refs.unique(`slice_${i}`);
        this.call(method, u, name);
        return name;
      });
      this.out.begin(this.cfg.slices ? this.cfg.slices[0]!.range : this.cfg.method.range);
      this.out.write(`${this.resultName} = passthrough(${names.join(", ")})\n`);
      this.out.end();
      result = this.resultName;
    }
    const output = this.options.output ?? `${basename(this.file, extname(this.file))}-merged`;
    const dtypeRange = (this.cfg.outDtype ?? this.cfg.dtype)?.range ?? null;
    this.out.write(`save(${result}, ${JSON.stringify(output)}`);
    if (dtype) this.out.from(dtypeRange, `, dtype: "${dtype}"`);
    for (const [range, text] of tokenizer) this.out.from(range, text);
    this.out.write(")\n");
    return this.out.finish(this.cfg.method.range);
  }

  // ---- the method and its models ----

  private method(): MethodSpec | null {
    const name = this.cfg.method.value;
    const spec = METHODS[name];
    if (spec) return spec.whenRescaled && this.rescaleRequested() ? spec.whenRescaled : spec;
    const range = this.cfg.method.range;
    if (UNSUPPORTED_METHODS[name]) this.yaml.error(range, `merge_method: ${UNSUPPORTED_METHODS[name]}`, "mergekit-unsupported");
    else {
      const s = closest(name, Object.keys(METHODS));
      this.yaml.error(range, `'${name}' is not a mergekit merge method mergelang knows${s ? `: did you mean '${s}'?` : ""} (it runs ${Object.keys(METHODS).join(", ")})`);
    }
    return null;
  }

  /** `rescale: true` at the top level or in a slice's parameters (one value for the merge). */
  private rescaleRequested(): boolean {
    const on = (m: ParamMap | null | undefined): boolean => {
      const s = m?.get("rescale")?.setting;
      return s?.kind === "scalar" && s.value === true;
    };
    return on(this.cfg.params) || (this.cfg.slices ?? []).some((s) => on(s.params));
  }

  private units(method: MethodSpec): Unit[] | null {
    const cfg = this.cfg;
    const units: Unit[] = [];
    if (cfg.models) {
      if (cfg.models.length === 0) {
        this.followOn(cfg.method.range, "models: is empty");
        return null;
      }
      const u = this.unit(method, cfg.models, null, cfg.baseModel, cfg.method.range, 0);
      if (!u) return null;
      units.push(u);
    } else if (cfg.slices) {
      let offset = 0;
      for (const s of cfg.slices) {
        if (s.sources.length === 0) {
          this.followOn(s.range, "this slice has no sources");
          return null;
        }
        const u = this.unit(method, s.sources, s.params, s.baseModel ?? cfg.baseModel, s.range, offset);
        if (!u) return null;
        offset += u.layerCount ?? 0;
        units.push(u);
      }
      if (units.length === 0) return null;
    } else return null;
    return units;
  }

  private unit(method: MethodSpec, sources: SourceDef[], sliceParams: ParamMap | null, baseRef: { value: string; range: Range } | null, range: Range, offset: number): Unit | null {
    // Base first, so that the recipe declares it first (a method without a base does not declare it).
    if (baseRef && method.base !== "none") this.refs.get(baseRef.value, baseRef.range);
    const parts: Part[] = sources.map((source) => {
      const model = this.refs.get(source.model.value, source.model.range);
      return { source, model, layers: this.layers(source, model) };
    });
    const isBase = (p: Part): boolean => baseRef !== null && p.source.model.value === baseRef.value;
    // mergekit merges a base that is not among the listed models as one more input (normalize_config).
    if (method.base === "joins" && baseRef && !parts.some(isBase) && !this.cfg.slices) {
      const source: SourceDef = { model: baseRef, layerRange: null, params: new Map(), range: baseRef.range };
      sources = [...sources, source];
      parts.push({ source, model: this.refs.get(baseRef.value, baseRef.range), layers: null });
    }
    const levels: ParamLevels = { sources, slice: sliceParams, top: this.cfg.params };
    let merged = parts.filter((p) => !isBase(p));
    let base: Part | null = parts.find(isBase) ?? null;
    const inSlices = this.cfg.slices !== null;
    if (baseRef && !base && inSlices && method.base !== "none" && method.base !== "joins") {
      this.followOn(baseRef.range, `the base model '${baseRef.value}' must be one of this slice's sources (with its layer_range), as mergekit requires`);
      return null;
    }
    if (baseRef && !base && method.base !== "none" && method.base !== "joins") base = { source: { model: baseRef, layerRange: null, params: new Map(), range: baseRef.range }, model: this.refs.get(baseRef.value, baseRef.range), layers: null };
    const label = `merge_method: ${this.cfg.method.value}`;
    switch (method.base) {
      case "required":
      case "pair":
        if (!base) {
          this.followOn(this.cfg.method.range, `${label} needs base_model: the model the task vectors are taken from`);
          return null;
        }
        break;
      case "none":
        if (baseRef && !parts.some(isBase)) {
          this.yaml.report("mergekit-ignored", "warning", baseRef.range, `${label} does not use base_model: only the listed models are merged`);
        }
        merged = parts;
        base = null;
        break;
      case "joins":
        if (baseRef && !parts.some(isBase)) this.yaml.report("mergekit-ignored", "warning", baseRef.range, `${label} merges only a slice's sources: this base_model is not one of them`);
        merged = parts;
        base = null;
        break;
      case "optional":
        break;
    }
    const count = merged.length;
    if (count < method.minModels || (method.maxModels !== undefined && count > method.maxModels)) {
      const want = method.maxModels === method.minModels ? `exactly ${method.minModels}` : method.maxModels !== undefined ? `${method.minModels} to ${method.maxModels}` : `at least ${method.minModels}`;
      const besides = method.base === "none" ? "" : " besides the base model";
      this.followOn(range, `${label} merges ${want} model${method.minModels === 1 && method.maxModels === 1 ? "" : "s"}${besides}; this ${inSlices ? "slice" : "config"} has ${count}`);
      return null;
    }
    // Every source of a slice covers the same number of layers.
    const lengths = parts.map((p) => (p.source.layerRange ? p.source.layerRange.value[1] - p.source.layerRange.value[0] : null));
    if (lengths.some((l) => l !== null && l !== lengths[0])) {
      this.yaml.error(range, `all sources of a slice must have the same number of layers (layer_range lengths here: ${lengths.join(", ")})`);
      return null;
    }
    const first = merged[0]!;
    const family = this.slicedFamily(first);
    const layerCount = family?.layerCount ?? lengths[0] ?? null;
    return { levels, merged, indices: merged.map((p) => sources.indexOf(p.source)), base, baseRange: baseRef?.range ?? null, range, offset, layerCount, family };
  }

  /**
   * An error about what the config lacks (models, a base, sources): not repeated when an entry was
   * left out after its own error, which is the cause.
   */
  private followOn(range: Range, message: string): void {
    if (!this.cfg.incomplete) this.yaml.error(range, message);
  }

  /** The inclusive layers a source takes, or null for the whole model; checked against the model. */
  private layers(source: SourceDef, model: ModelRef): [number, number] | null {
    const r = source.layerRange;
    if (!r) return null;
    const [start, end] = r.value;
    const count = model.family?.layerCount;
    if (count !== undefined && end > count) {
      this.yaml.error(r.range, `layer_range [${start}, ${end}] goes beyond ${model.ref}, which has ${count} layers (the end is excluded: at most [0, ${count}])`);
      return [start, Math.max(start, count - 1)];
    }
    if (count !== undefined && start === 0 && end === count) return null;
    return [start, end - 1];
  }

  private slicedFamily(part: Part): ModelFamily | null {
    const f = part.model.family;
    if (!f) return null;
    if (!part.layers) return f;
    try {
      const s = stackTensors([{ tensors: f.tensors, layerCount: f.layerCount, from: part.layers[0], to: part.layers[1] }]);
      return { path: f.path, tensors: new Map(s.tensors.map((t) => [t.name, t.info])), layerCount: s.layerCount, floatDType: f.floatDType };
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      return null;
    }
  }

  private partText(p: Part): string {
    return p.layers ? `slice(${p.model.binding}, layers ${p.layers[0]}..${p.layers[1]})` : p.model.binding;
  }

  // ---- one merge call ----

  private call(method: MethodSpec, u: Unit, name: string): void {
    const params = this.params(method, u);
    this.out.begin(u.range);
    this.out.write(`${name} = ${method.ours}(`);
    const args: (() => void)[] = [];
    const positional = method.base === "pair" && method.ours === "slerp" ? [u.base!, ...u.merged] : u.merged;
    for (const p of positional) args.push(() => this.out.from(p.source.range, this.partText(p)));
    if (u.base && !(method.base === "pair" && method.ours === "slerp")) {
      const base = u.base;
      args.push(() => this.out.from(u.baseRange, `base: ${this.partText(base)}`));
    }
    for (const [k, v] of Object.entries(method.fixed)) args.push(() => this.out.write(`${k}: ${scalarText(v)}`));
    for (const p of params) {
      if (p.plan.value === undefined) continue;
      const value = p.plan.value;
      args.push(() => this.out.from(p.range, `${p.name}: ${valueText(value)}`));
    }
    args.forEach((a, i) => {
      if (i > 0) this.out.write(", ");
      a();
    });
    this.out.write(")");
    this.whereClauses(params);
    this.out.write("\n");
    this.out.end();
  }

  /** Where clauses of all parameters, clauses with the same selector shared where order allows. */
  private whereClauses(params: { name: string; plan: ParamPlan; range: Range | null }[]): void {
    const clauses: { selector: Selector; values: [string, ParamValue, Range | null][] }[] = [];
    for (const p of params) {
      let last = -1;
      for (const c of p.plan.clauses) {
        const k = selectorKey(c.selector);
        const at = clauses.findIndex((x, i) => i > last && selectorKey(x.selector) === k && !x.values.some(([n]) => n === p.name));
        if (at >= 0) {
          clauses[at]!.values.push([p.name, c.value, p.range]);
          last = at;
        } else {
          clauses.push({ selector: c.selector, values: [[p.name, c.value, p.range]] });
          last = clauses.length - 1;
        }
      }
    }
    // Selectors padded to one width, as `mergelang fmt` lays where clauses out.
    const width = Math.max(0, ...clauses.map((c) => selectorText(c.selector).length));
    for (const c of clauses) {
      this.out.write(`\n  where ${selectorText(c.selector).padEnd(width)} { `);
      c.values.forEach(([n, v, r], i) => {
        if (i > 0) this.out.write(", ");
        this.out.from(r, `${n}: ${valueText(v)}`);
      });
      this.out.write(" }");
    }
  }

  /** The tensors of a unit, with mergekit's position t and the names mergekit matches filters on. */
  private slots(u: Unit): { slot: TensorSlot; t: number; outName: string; sourceNames: string[] }[] | null {
    if (!u.family) return null;
    const n = u.family.layerCount;
    return [...u.family.tensors.keys()].map((name) => {
      const layer = layerIndex(name);
      const t = gradientPosition(layer, n);
      const outName = layer === null ? name : renumberLayer(name, u.offset + layer);
      const sourceNames = u.levels.sources.map((s) => {
        if (layer === null) return name;
        const from = s.layerRange ? s.layerRange.value[0] : 0;
        return renumberLayer(name, from + layer);
      });
      return { slot: { name, layer }, t, outName, sourceNames };
    });
  }

  private params(method: MethodSpec, u: Unit): { name: string; plan: ParamPlan; range: Range | null }[] {
    const out: { name: string; plan: ParamPlan; range: Range | null }[] = [];
    this.unknownParams(method, u);
    const slots = this.slots(u);
    const fn = lookupFunction(method.ours)!;
    const oursDefault = (name: string): ParamScalar | undefined => fn.params.find((p) => p.name === name)?.default;
    const setAnywhere = (name: string): boolean => u.levels.top.has(name) || (u.levels.slice?.has(name) ?? false) || u.levels.sources.some((s) => s.params.has(name));

    // Global parameters.
    const globals = new Map<string, Expected[] | SettingValue>();
    for (const [name, gp] of Object.entries(method.globals)) {
      const values = this.globalValues(name, gp, u, slots);
      if (values === null) continue;
      globals.set(name, values);
      if (gp.ours === null) continue;
      const dflt = oursDefault(gp.ours);
      const expected = Array.isArray(values) ? values : [values as Expected];
      const uniform = expected.every((v) => JSON.stringify(v) === JSON.stringify(expected[0]));
      if (!setAnywhere(name) && uniform && dflt !== undefined && JSON.stringify(expected[0]) === JSON.stringify(dflt)) continue;
      // Without headers the per-tensor values are unknown: mergekit's own layout is written as it is.
      const plan = !slots
        ? (this.globalGuess(name, gp, u) ?? { value: expected[0]!, clauses: [] })
        : uniform
          ? { value: expected[0]!, clauses: [] }
          : exactPlan(gp.ours, slots.map((s) => s.slot), expected, u.family!.layerCount, this.globalGuess(name, gp, u) ?? genericPlan(slots.map((s) => s.slot), expected));
      out.push({ name: gp.ours, plan, range: settingRange(u.levels, name, null) });
    }
    const precision = this.computePrecision(method, u);
    if (precision) out.push({ name: "precision", plan: { value: precision, clauses: [] }, range: (this.cfg.dtype ?? this.cfg.method).range });

    // Per-model parameters.
    for (const [name, tp] of Object.entries(method.tensors)) {
      if (tp.ours === null) continue;
      const perTensor = this.modelValues(name, tp, u, slots, method, globals);
      if (perTensor === null) continue;
      if (name === "weight" && this.weightedAgreement(method, perTensor)) out.push({ name: "agreement", plan: { value: "weighted", clauses: [] }, range: settingRange(u.levels, name, u.indices[0] ?? null) });
      const collapsed = perTensor.map((l) => (l.every((x) => x === l[0]) ? l[0]! : l));
      const uniform = collapsed.every((v) => JSON.stringify(v) === JSON.stringify(collapsed[0]));
      const dflt = oursDefault(tp.ours);
      if (!setAnywhere(name) && uniform && JSON.stringify(collapsed[0]) === JSON.stringify(dflt ?? 1)) continue;
      const shared = collapsed.every((v) => !Array.isArray(v)) ? this.sharedChain(name, u) : null;
      const factor = tp.factor ?? 1;
      const guess = (shared && this.chainGuess(shared, u, factor, (raw) => (typeof raw === "number" ? raw * factor : null), tp.default)) ?? (slots ? genericPlan(slots.map((s) => s.slot), collapsed) : null);
      const plan = !slots ? (guess ?? { value: collapsed[0]!, clauses: [] }) : uniform ? { value: collapsed[0]!, clauses: [] } : exactPlan(tp.ours, slots.map((s) => s.slot), collapsed, u.family!.layerCount, guess!);
      out.push({ name: tp.ours, plan, range: settingRange(u.levels, name, u.indices[0] ?? null) });
    }
    return out;
  }

  /**
   * mergekit computes in the config's `dtype` (or, without one, the models' own): linear and
   * arcee_fusion in bf16 or f16 are written with that precision, so that the numbers are mergekit's,
   * rounding steps included.
   */
  private computePrecision(method: MethodSpec, u: Unit): "bf16" | "f16" | null {
    if (method.ours !== "linear" && method.ours !== "arcee_fusion") return null;
    const named = this.cfg.dtype?.value.toLowerCase();
    const d = named !== undefined ? (named === "bf16" ? "bf16" : DTYPE_ALIASES[named]) : u.family?.floatDType === "BF16" ? "bf16" : u.family?.floatDType === "F16" ? "f16" : undefined;
    return d === "bf16" || d === "f16" ? d : null;
  }

  /**
   * mergekit compares the signs of the weighted deltas wᵢ·δᵢ with the elected sign; a recipe compares
   * those of δᵢ unless told `agreement: "weighted"`. They differ only where a weight is negative.
   */
  private weightedAgreement(method: MethodSpec, weights: number[][]): boolean {
    const consensus = method.fixed["consensus"];
    return (consensus === "sum" || consensus === "count") && weights.some((l) => l.some((w) => w < 0));
  }

  /** Warns about parameters the method does not take (mergekit ignores them). */
  private unknownParams(method: MethodSpec, u: Unit): void {
    const known = new Set([...Object.keys(method.globals), ...Object.keys(method.tensors)]);
    const check = (map: ParamMap | null, perModel: boolean): void => {
      for (const e of map?.values() ?? []) {
        if (!known.has(e.name)) {
          const s = closest(e.name, known);
          this.yaml.report("mergekit-ignored", "warning", e.keyRange, `${this.cfg.method.value} has no parameter '${e.name}'${s ? ` (did you mean '${s}'?)` : ""}: mergekit ignores it`);
        } else if (perModel && method.globals[e.name]) {
          this.yaml.report("mergekit-ignored", "warning", e.keyRange, `'${e.name}' is one value for the whole merge: mergekit ignores it in a model's parameters (set it under the top-level parameters:)`);
        }
      }
    };
    if (u.offset === 0) check(u.levels.top, false);
    check(u.levels.slice, false);
    for (const s of u.levels.sources) check(s.params, true);
  }

  /** A global parameter's value per tensor (or the one value without headers); null after an error. */
  private globalValues(name: string, gp: GlobalParam, u: Unit, slots: ReturnType<Translator["slots"]>): Expected[] | SettingValue | null {
    const range = settingRange(u.levels, name, null);
    const one = (outName: string, t: number): Expected | null | undefined => {
      const raw = globalValue(u.levels, name, outName, t) ?? gp.default;
      if (raw === undefined) return undefined;
      return this.convertGlobal(name, gp, raw, range ?? this.cfg.method.range);
    };
    if (!slots) {
      const v = one("", 0);
      if (v === undefined) return this.missing(name, gp);
      return v;
    }
    const values: Expected[] = [];
    for (const s of slots) {
      const v = one(s.outName, s.t);
      if (v === undefined) return this.missing(name, gp);
      if (v === null) return null;
      values.push(v);
    }
    return values;
  }

  private missing(name: string, gp: GlobalParam): null {
    if (!gp.optional) this.yaml.error(this.cfg.method.range, `${this.cfg.method.value} needs the parameter '${name}' (under parameters:)`);
    return null;
  }

  private reported = new Set<string>();

  private convertGlobal(name: string, gp: GlobalParam, raw: SettingValue, range: Range): Expected | null {
    const key = `${name}@${range.start.offset}`;
    const fail = (message: string, unsupported = false): null => {
      if (!this.reported.has(key)) this.yaml.error(range, message, unsupported ? "mergekit-unsupported" : "mergekit-invalid");
      this.reported.add(key);
      return null;
    };
    if (gp.type === "number" && typeof raw !== "number") return fail(`${name} takes a number, not ${JSON.stringify(raw)}`);
    if (gp.type === "bool" && typeof raw !== "boolean") return fail(`${name} takes true or false, not ${JSON.stringify(raw)}`);
    if (gp.convert) {
      const c = gp.convert(raw);
      return c.ok ? c.value : fail(c.message, c.unsupported);
    }
    return typeof raw === "number" ? raw * (gp.factor ?? 1) : raw;
  }

  /** mergekit's own layout of a global parameter: filters as name patterns, gradients as gradient(...). */
  private globalGuess(name: string, gp: GlobalParam, u: Unit): ParamPlan | null {
    const chain: Setting[] = [u.levels.slice?.get(name)?.setting, u.levels.top.get(name)?.setting].filter((s): s is Setting => s !== undefined);
    const dflt = gp.default;
    return this.chainGuess(chain, u, gp.type === "number" && !gp.convert ? (gp.factor ?? 1) : null, (raw) => this.plainConvert(gp, raw), dflt);
  }

  private plainConvert(gp: GlobalParam, raw: SettingValue): ParamScalar | null {
    if (gp.convert) {
      const c = gp.convert(raw);
      return c.ok ? c.value : null;
    }
    return typeof raw === "number" ? raw * (gp.factor ?? 1) : raw;
  }

  /**
   * The call value and clauses that follow a chain of settings (first level first): the first
   * setting without a filter is the call value, the filtered ones before it become name patterns
   * (later clauses win, so they are written in reverse). `factor` scales gradients (null: a
   * gradient cannot be written as one here).
   */
  private chainGuess(chain: Setting[], u: Unit, factor: number | null, convert: (raw: SettingValue) => ParamScalar | null, dflt: SettingValue | undefined): ParamPlan | null {
    const entries: { filter: string | null; plain: PlainSetting }[] = [];
    outer: for (const s of chain) {
      if (s.kind !== "conditional") {
        entries.push({ filter: null, plain: s });
        break;
      }
      for (const e of s.entries) {
        entries.push({ filter: e.filter, plain: e.value });
        if (e.filter === null) break outer;
      }
    }
    // Without headers (and layer ranges) the layer count is unknown: assume several layers.
    const n = u.family?.layerCount ?? u.layerCount ?? Infinity;
    const toParam = (p: PlainSetting): ParamValue | null => {
      if (p.kind === "gradient" && factor !== null) {
        const pts = p.values.map((x) => x * factor);
        if (pts.every((x) => x === pts[0]) || n <= 1) return n <= 1 ? pts[pts.length - 1]! : pts[0]!;
        return pts.length === 2 ? { kind: "ramp", from: pts[0]!, to: pts[1]! } : { kind: "ramp", from: pts[0]!, to: pts[pts.length - 1]!, points: pts };
      }
      return convert(p.kind === "scalar" ? p.value : p.values[0]!);
    };
    const unfiltered = entries.find((e) => e.filter === null);
    const value = unfiltered ? toParam(unfiltered.plain) : dflt !== undefined ? convert(dflt) : null;
    if (value === null) return null;
    const clauses: ParamPlan["clauses"] = [];
    for (const e of entries.filter((x) => x.filter !== null).reverse()) {
      if (/[*?]/.test(e.filter!)) return null;
      const v = toParam(e.plain);
      if (v === null) return null;
      clauses.push({ selector: { kind: "glob", pattern: `*${e.filter}*` }, value: v });
    }
    return { value, clauses };
  }

  /** The settings chain shared by every merged model for a per-model parameter, or null when they differ. */
  private sharedChain(name: string, u: Unit): Setting[] | null {
    const own = u.indices.map((i) => {
      const model = u.levels.sources[i]!.model.value;
      return u.levels.sources.find((s) => s.model.value === model)!.params.get(name)?.setting;
    });
    if (own.some((o) => o !== own[0])) return null;
    return [own[0], u.levels.slice?.get(name)?.setting, u.levels.top.get(name)?.setting].filter((s): s is Setting => s !== undefined);
  }

  /** A per-model parameter per tensor: one list over the merged models; null after an error. */
  private modelValues(
    name: string,
    tp: { default?: number; required?: boolean; factor?: number },
    u: Unit,
    slots: ReturnType<Translator["slots"]>,
    method: MethodSpec,
    globals: Map<string, Expected[] | SettingValue>,
  ): number[][] | null {
    const points = slots ?? [{ slot: { name: "", layer: null }, t: 0, outName: "", sourceNames: u.levels.sources.map(() => "") }];
    const lists: number[][] = [];
    for (const s of points) {
      const list: number[] = [];
      for (let k = 0; k < u.merged.length; k++) {
        const index = u.indices[k]!;
        const raw = modelValue(u.levels, index, name, s.sourceNames[index]!, s.t) ?? tp.default;
        const range = settingRange(u.levels, name, index) ?? u.merged[k]!.source.range;
        if (raw === undefined) {
          if (!this.reported.has(`missing ${name} ${index}`)) {
            this.yaml.error(u.merged[k]!.source.range, `${this.cfg.method.value} needs a ${name} for every model: '${u.merged[k]!.model.ref}' has none (set it in its parameters:)`);
          }
          this.reported.add(`missing ${name} ${index}`);
          return null;
        }
        if (typeof raw !== "number") {
          if (!this.reported.has(`type ${name} ${range.start.offset}`)) this.yaml.error(range, `${name} takes a number, not ${JSON.stringify(raw)}`);
          this.reported.add(`type ${name} ${range.start.offset}`);
          return null;
        }
        list.push(raw * (tp.factor ?? 1));
      }
      // task_arithmetic's normalize divides by the sum of the weights (mergekit), here folded into them.
      if (name === "weight" && method.ours === "task_arithmetic") {
        const g = globals.get("normalize");
        const normalize = Array.isArray(g) ? g[points.indexOf(s)] : g;
        const sum = list.reduce((a, b) => a + b, 0);
        if (normalize === true && Math.abs(sum) >= 1e-8) for (let i = 0; i < list.length; i++) list[i] = list[i]! / sum;
      }
      lists.push(list);
    }
    if (name === "density" || name === "epsilon") this.checkDella(method, u, lists, name);
    return lists;
  }

  /** DELLA's keep probabilities must stay in (0, 1), as mergekit checks. */
  private checkDella(method: MethodSpec, u: Unit, lists: number[][], name: string): void {
    if (method.ours !== "della" || name !== "epsilon") return;
    const densities = this.modelValues("density", METHODS[this.cfg.method.value]!.tensors["density"]!, u, this.slots(u), method, new Map());
    if (!densities) return;
    for (let i = 0; i < lists.length; i++) {
      for (let k = 0; k < lists[i]!.length; k++) {
        const d = densities[i]![k]!;
        const e = lists[i]![k]! / 2;
        if (d < 1 && (d + e >= 1 || d - e <= 0)) {
          const range = settingRange(u.levels, "epsilon", u.indices[k]!) ?? settingRange(u.levels, "density", u.indices[k]!) ?? u.range;
          this.yaml.error(range, `della: density ± epsilon must stay within (0, 1) (mergekit rejects density ${formatNumber(d)} with epsilon ${formatNumber(e)})`);
          return;
        }
      }
    }
  }

  // ---- passthrough: stacking slices ----

  private passthrough(units: Unit[]): string {
    const parts = units.map((u) => u.merged[0]!);
    const scale = this.passthroughScale(units);
    this.out.begin(this.cfg.slices?.[0]?.range ?? this.cfg.method.range);
    if (parts.length === 1 && !scale) {
      this.out.write(`${this.resultName} = `).from(parts[0]!.source.range, this.partText(parts[0]!)).write("\n");
    } else {
      this.out.write(`${this.resultName} = passthrough(`);
      parts.forEach((p, i) => {
        this.out.write(parts.length > 1 ? "\n  " : i > 0 ? ", " : "");
        this.out.from(p.source.range, this.partText(p));
        if (parts.length > 1) this.out.write(",");
      });
      if (parts.length > 1) this.out.write("\n");
      if (scale) {
        this.out.write(parts.length > 1 ? "  " : ", ");
        this.out.from(scale.range, `scale: ${valueText(scale.plan.value!)}`);
        if (parts.length > 1) this.out.write(",\n");
      }
      this.out.write(")");
      if (scale) this.whereClauses([{ name: "scale", plan: { value: undefined, clauses: scale.plan.clauses }, range: scale.range }]);
      this.out.write("\n");
    }
    this.out.end();
    return this.resultName;
  }

  /** mergekit's per-model `scale` over the stacked model's tensors, or null when every tensor keeps 1. */
  private passthroughScale(units: Unit[]): { plan: ParamPlan; range: Range | null } | null {
    const range = units.map((u) => settingRange(u.levels, "scale", 0)).find((r) => r !== null) ?? null;
    if (range === null) return null;
    for (const u of units) this.unknownParams(METHODS["passthrough"]!, u);
    const families = units.map((u) => u.family);
    if (families.some((f) => f === null)) {
      // Without headers: one value per tensor cannot be computed; use the first slice's first value.
      const v = modelValue(units[0]!.levels, 0, "scale", "", 0) ?? 1;
      if (typeof v !== "number") {
        this.yaml.error(range, `scale takes a number, not ${JSON.stringify(v)}`);
        return null;
      }
      return v === 1 ? null : { plan: { value: v, clauses: [] }, range };
    }
    const stacked = stackTensors(families.map((f) => ({ tensors: f!.tensors, layerCount: f!.layerCount, from: 0, to: null })));
    const slots: TensorSlot[] = [];
    const expected: Expected[] = [];
    for (const t of stacked.tensors) {
      const u = units[t.part]!;
      const layer = layerIndex(t.source);
      const n = u.family!.layerCount;
      const tt = gradientPosition(layer, n);
      const from = u.levels.sources[0]!.layerRange?.value[0] ?? 0;
      const v = modelValue(u.levels, 0, "scale", layer === null ? t.source : renumberLayer(t.source, from + layer), tt) ?? 1;
      if (typeof v !== "number") {
        this.yaml.error(range, `scale takes a number, not ${JSON.stringify(v)}`);
        return null;
      }
      slots.push({ name: t.name, layer: layerIndex(t.name) });
      expected.push(v);
    }
    if (expected.every((v) => v === 1)) return null;
    // One slice: mergekit's own layout of the setting is the first guess.
    const chain = units.length === 1 ? this.sharedChain("scale", units[0]!) : null;
    const guess = (chain && this.chainGuess(chain, units[0]!, 1, (raw) => (typeof raw === "number" ? raw : null), 1)) ?? genericPlan(slots, expected);
    return { plan: exactPlan("scale", slots, expected, stacked.layerCount, guess), range };
  }

  // ---- output ----

  private outputDType(): "bf16" | "f16" | "f32" | null {
    const d = this.cfg.outDtype ?? this.cfg.dtype;
    if (!d) return null;
    const name = d.value.toLowerCase();
    const mapped = name === "bf16" ? "bf16" : DTYPE_ALIASES[name];
    if (!mapped) {
      this.yaml.error(d.range, `dtype '${d.value}' is not supported: use bfloat16, float16 or float32`, "mergekit-unsupported");
      return null;
    }
    return mapped;
  }

  /**
   * save's tokenizer:, tokens:, pad_to_multiple_of: and chat_template: arguments, each with the YAML
   * range it comes from. A model reference names the model's binding (the base for the base's path).
   */
  private tokenizerArgs(): [Range, string][] {
    const out: [Range, string][] = [];
    const t = this.cfg.tokenizer;
    const model = (ref: { value: string; range: Range }): string => this.refs.get(ref.value, ref.range).binding;
    if (t) {
      // mergekit's "base" without a base_model is the first model's, as save's "base" is.
      const s = t.source;
      const source = s.value === "base" || s.value === "union" ? JSON.stringify(s.value) : model(s);
      out.push([s.range, `, tokenizer: ${source}`]);
      const rules = t.tokens.flatMap((tok) => {
        if (!tok.source) return []; // no source and no force: mergekit's default rule
        const args = [JSON.stringify(tok.token), tok.source.kind === "zero" ? '"zero"' : model(tok.source.ref)];
        if (tok.force) args.push("force: true");
        if (tok.source.kind === "model" && tok.source.tokenId !== null) args.push(`row: ${tok.source.tokenId}`);
        if (tok.source.kind === "model" && tok.source.token !== null) args.push(`from_token: ${JSON.stringify(tok.source.token)}`);
        return [`token(${args.join(", ")})`];
      });
      if (rules.length) out.push([t.range, `, tokens: [${rules.join(", ")}]`]);
      if (t.padToMultipleOf !== null) out.push([t.range, `, pad_to_multiple_of: ${t.padToMultipleOf}`]);
    }
    const c = this.cfg.chatTemplate;
    if (c) out.push([c.range, `, chat_template: ${JSON.stringify(c.value)}`]);
    return out;
  }

}
