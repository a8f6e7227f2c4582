/**
 * A mergekit merge configuration read from its YAML tree (mergekit's `MergeConfiguration`): the
 * merge method, the models or output slices, the parameters with their filters and gradients, the
 * dtypes and the tokenizer source. Keys mergelang cannot honour are errors that name the key and its
 * line; keys that are not mergekit's are warnings (mergekit's pydantic models ignore them too), with
 * the key meant where it looks like a typo or a misplaced parameter.
 */
import type { Range } from "../language/ast.js";
import { closest } from "../language/suggest.js";
import { METHODS } from "./methods.js";
import { type TokenizerDef, TokenizerConfigReader } from "./tokenizer-config.js";
import { describeYaml, type YamlEntry, type YamlFile, type YamlValue } from "./yaml-doc.js";

export interface Located<T> {
  value: T;
  range: Range;
}

/** One value or gradient of a parameter (mergekit's ScalarOrGradient). */
export type PlainSetting =
  | { kind: "scalar"; value: number | string | boolean; range: Range }
  /** A list of numbers: interpolated over the layers. */
  | { kind: "gradient"; values: number[]; range: Range }
  /** A list of other values: one per evenly spaced share of the layers. */
  | { kind: "steps"; values: (number | string | boolean)[]; range: Range };

/** A parameter's setting: plain, or a list of `{filter, value}` conditions (first match wins). */
export type Setting = PlainSetting | { kind: "conditional"; entries: { filter: string | null; value: PlainSetting; range: Range }[]; range: Range };

export interface ParamEntry {
  name: string;
  keyRange: Range;
  setting: Setting;
}

export type ParamMap = Map<string, ParamEntry>;

export interface SourceDef {
  model: Located<string>;
  /** mergekit's half-open [start, end); null in the `models:` form. */
  layerRange: Located<[number, number]> | null;
  params: ParamMap;
  range: Range;
}

export interface SliceDef {
  sources: SourceDef[];
  params: ParamMap;
  baseModel: Located<string> | null;
  range: Range;
}

export interface MergekitConfig {
  method: Located<string>;
  /** The `models:` form, or null. */
  models: SourceDef[] | null;
  /** The `slices:` form, or null. */
  slices: SliceDef[] | null;
  baseModel: Located<string> | null;
  params: ParamMap;
  dtype: Located<string> | null;
  outDtype: Located<string> | null;
  /** tokenizer_source: or the tokenizer: section. */
  tokenizer: TokenizerDef | null;
  chatTemplate: Located<string> | null;
  /**
   * An entry (a model, a base, a slice) was left out after an error that names it: counts and
   * presence checks would only repeat that error, so the translation skips them.
   */
  incomplete: boolean;
}

const UNSUPPORTED: Record<string, string> = {
  modules: "multi-module merges (modules:) are not supported: merge each module's models separately",
  residual_weight: "residual_weight is not supported",
};

/** Every parameter name of mergekit's methods, to point a misplaced one to `parameters:`. */
const PARAMETER_NAMES = new Set(Object.values(METHODS).flatMap((m) => [...Object.keys(m.globals), ...Object.keys(m.tensors)]));

function lookup(map: YamlValue & { kind: "map" }, key: string): YamlEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

export class ConfigReader {
  private incomplete = false;

  constructor(private readonly yaml: YamlFile) {}

  read(root: YamlValue): MergekitConfig | null {
    if (root.kind !== "map") {
      this.yaml.error(root.range, `a mergekit config is a mapping of keys (merge_method, models, ...), not ${describeYaml(root)}`);
      return null;
    }
    this.checkKeys(root, ["merge_method", "models", "slices", "base_model", "parameters", "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template"], "the config");
    const methodEntry = lookup(root, "merge_method");
    const method = methodEntry ? this.string(methodEntry) : null;
    if (!methodEntry) this.yaml.error(root.range, "merge_method is missing: name the merge method, e.g. merge_method: ties");
    const modelsEntry = lookup(root, "models");
    const slicesEntry = lookup(root, "slices");
    if (modelsEntry && slicesEntry) {
      this.yaml.error(slicesEntry.keyRange, "give either models: or slices:, not both (as mergekit requires)");
    } else if (!modelsEntry && !slicesEntry && !lookup(root, "modules")) {
      // With modules: (refused above) the models are in the modules.
      this.yaml.error(root.range, "the config has neither models: nor slices: to merge");
    }
    const models = modelsEntry ? this.sources(modelsEntry, false) : null;
    const slices = slicesEntry && !modelsEntry ? this.slices(slicesEntry) : null;
    const base = lookup(root, "base_model");
    const params = lookup(root, "parameters");
    const dtype = lookup(root, "dtype");
    const outDtype = lookup(root, "out_dtype");
    const baseModel = base ? this.modelRef(base) : null;
    if (base && !baseModel) this.incomplete = true;
    const tokenizers = new TokenizerConfigReader(this.yaml);
    const tokenizer = tokenizers.read(lookup(root, "tokenizer_source"), lookup(root, "tokenizer"));
    const chatTemplate = tokenizers.chatTemplate(lookup(root, "chat_template"));
    if (!method) return null;
    return {
      method,
      models,
      slices,
      baseModel,
      params: params ? this.params(params) : new Map(),
      dtype: dtype ? this.string(dtype) : null,
      outDtype: outDtype ? this.string(outDtype) : null,
      tokenizer,
      chatTemplate,
      incomplete: this.incomplete,
    };
  }

  /**
   * Keys that are not among `known`: mergekit's keys mergelang cannot run are errors (with their
   * reason); other keys are warnings, as mergekit ignores them.
   */
  private checkKeys(map: YamlValue & { kind: "map" }, known: readonly string[], where: string): void {
    for (const e of map.entries) {
      if (known.includes(e.key)) continue;
      const reason = UNSUPPORTED[e.key];
      if (reason) {
        this.yaml.error(e.keyRange, reason, "mergekit-unsupported");
        continue;
      }
      const typo = closest(e.key, known);
      const hint = typo ? `: did you mean '${typo}'?` : PARAMETER_NAMES.has(e.key) && known.includes("parameters") ? `: parameters go under parameters:` : ` (it takes ${known.join(", ")})`;
      this.yaml.report("mergekit-ignored", "warning", e.keyRange, `'${e.key}' is not a mergekit key in ${where}, so mergekit ignores it too${hint}`);
    }
  }

  /** `tokenizer:`: its source, and the keys that would build a new tokenizer. */
  private string(e: YamlEntry): Located<string> | null {
    if (e.value.kind === "scalar" && typeof e.value.value === "string") return { value: e.value.value, range: e.value.range };
    if (e.value.kind === "scalar" && typeof e.value.value === "number") return { value: String(e.value.value), range: e.value.range };
    this.yaml.error(e.value.range, `${e.key} takes a name, not ${describeYaml(e.value)}`);
    return null;
  }

  /**
   * A model reference, as mergekit's one-string form `path[@revision][+lora[@revision]]`; the mapping
   * forms `{path:, revision:, lora:}` and `{model: {path:, revision:}, lora: {path:, revision:}}` are
   * turned into it.
   */
  private modelRef(e: YamlEntry): Located<string> | null {
    if (e.value.kind !== "map") return this.string(e);
    const map = e.value;
    const keys = lookup(map, "model") ? ["model", "lora"] : ["path", "revision", "lora"];
    this.checkKeys(map, keys, `the model reference ${e.key}`);
    const modelEntry = lookup(map, "model");
    const base = this.pathRef(modelEntry ?? e, "path");
    const loraEntry = lookup(map, "lora");
    const lora = loraEntry ? this.pathRef(loraEntry, "path") : "";
    if (base === null || lora === null) return null;
    return { value: lora ? `${base}+${lora}` : base, range: e.value.range };
  }

  /** `path[@revision]` from a string, or from a mapping with path: (and revision:). */
  private pathRef(e: YamlEntry, pathKey: string): string | null {
    if (e.value.kind !== "map") return this.string(e)?.value ?? null;
    const pathEntry = lookup(e.value, pathKey);
    if (!pathEntry) {
      this.yaml.error(e.value.range, `${e.key} needs ${pathKey}: (a folder or a Hugging Face id)`);
      return null;
    }
    if (pathEntry.value.kind === "map") return this.pathRef(pathEntry, "path");
    const path = this.string(pathEntry);
    const revEntry = lookup(e.value, "revision");
    const revision = revEntry ? this.string(revEntry) : null;
    if (!path || (revEntry && !revision)) return null;
    return revision ? `${path.value}@${revision.value}` : path.value;
  }

  private sources(e: YamlEntry, inSlice: boolean): SourceDef[] {
    if (e.value.kind !== "list") {
      this.yaml.error(e.value.range, `${e.key} is a list of entries with model:, not ${describeYaml(e.value)}`);
      return [];
    }
    const out: SourceDef[] = [];
    for (const item of e.value.items) {
      if (item.kind !== "map") {
        this.yaml.error(item.range, `each entry of ${e.key} is a mapping with model:${inSlice ? " and layer_range:" : ""}, not ${describeYaml(item)}`);
        this.incomplete = true;
        continue;
      }
      this.checkKeys(item, inSlice ? ["model", "layer_range", "parameters"] : ["model", "parameters"], `an entry of ${e.key}`);
      const modelEntry = lookup(item, "model");
      if (!modelEntry) {
        this.yaml.error(item.range, `this entry of ${e.key} has no model:`);
        this.incomplete = true;
        continue;
      }
      const model = this.modelRef(modelEntry);
      const paramsEntry = lookup(item, "parameters");
      const rangeEntry = lookup(item, "layer_range");
      let layerRange: Located<[number, number]> | null = null;
      if (inSlice) {
        if (!rangeEntry) this.yaml.error(item.range, "a slice source needs layer_range: [start, end] (end excluded)");
        else layerRange = this.layerRange(rangeEntry);
      }
      if (!model || (inSlice && !layerRange)) {
        this.incomplete = true;
        continue;
      }
      out.push({ model, layerRange, params: paramsEntry ? this.params(paramsEntry) : new Map(), range: item.range });
    }
    return out;
  }

  private layerRange(e: YamlEntry): Located<[number, number]> | null {
    const v = e.value;
    const nums = v.kind === "list" ? v.items.map((i) => (i.kind === "scalar" && typeof i.value === "number" ? i.value : NaN)) : [];
    if (v.kind !== "list" || nums.length !== 2 || nums.some((n) => !Number.isInteger(n) || n < 0)) {
      this.yaml.error(v.range, `layer_range is [start, end]: two whole numbers from 0, end excluded (e.g. [0, 16]), not ${describeYaml(v)}`);
      return null;
    }
    if (nums[1]! <= nums[0]!) {
      this.yaml.error(v.range, `layer_range [${nums[0]}, ${nums[1]}] is empty: the end is excluded, so it must be after the start`);
      return null;
    }
    return { value: [nums[0]!, nums[1]!], range: v.range };
  }

  private slices(e: YamlEntry): SliceDef[] {
    if (e.value.kind !== "list") {
      this.yaml.error(e.value.range, `slices is a list of slices with sources:, not ${describeYaml(e.value)}`);
      return [];
    }
    const out: SliceDef[] = [];
    for (const item of e.value.items) {
      if (item.kind !== "map") {
        this.yaml.error(item.range, `each slice is a mapping with sources:, not ${describeYaml(item)}`);
        this.incomplete = true;
        continue;
      }
      this.checkKeys(item, ["sources", "parameters", "base_model"], "a slice");
      const sourcesEntry = lookup(item, "sources");
      if (!sourcesEntry) {
        this.yaml.error(item.range, "this slice has no sources:");
        this.incomplete = true;
        continue;
      }
      const base = lookup(item, "base_model");
      const params = lookup(item, "parameters");
      const baseModel = base ? this.modelRef(base) : null;
      if (base && !baseModel) this.incomplete = true;
      out.push({ sources: this.sources(sourcesEntry, true), params: params ? this.params(params) : new Map(), baseModel, range: item.range });
    }
    return out;
  }

  private params(e: YamlEntry): ParamMap {
    const out: ParamMap = new Map();
    if (e.value.kind !== "map") {
      this.yaml.error(e.value.range, `parameters is a mapping of parameter names to values, not ${describeYaml(e.value)}`);
      return out;
    }
    for (const p of e.value.entries) {
      const setting = this.setting(p.value, p.key);
      if (setting) out.set(p.key, { name: p.key, keyRange: p.keyRange, setting });
    }
    return out;
  }

  private plain(v: YamlValue, name: string): PlainSetting | null {
    if (v.kind === "scalar") {
      if (v.value === null) {
        this.yaml.error(v.range, `${name} has no value`);
        return null;
      }
      return { kind: "scalar", value: v.value, range: v.range };
    }
    if (v.kind === "list") {
      const values = v.items.map((i) => (i.kind === "scalar" ? i.value : undefined));
      if (values.length === 0 || values.some((x) => x === undefined || x === null)) {
        this.yaml.error(v.range, `${name}: a gradient is a list of values, e.g. [0, 0.5, 1]`);
        return null;
      }
      if (values.every((x) => typeof x === "number")) return { kind: "gradient", values: values as number[], range: v.range };
      return { kind: "steps", values: values as (string | number | boolean)[], range: v.range };
    }
    this.yaml.error(v.range, `${name} takes a value, a gradient list, or a list of {filter, value} conditions, not ${describeYaml(v)}`);
    return null;
  }

  private setting(v: YamlValue, name: string): Setting | null {
    if (v.kind === "list" && v.items.some((i) => i.kind === "map")) {
      const entries: { filter: string | null; value: PlainSetting; range: Range }[] = [];
      for (const item of v.items) {
        if (item.kind !== "map") {
          this.yaml.error(item.range, `${name}: every entry of a condition list is a mapping with value: (and filter:)`);
          continue;
        }
        this.checkKeys(item, ["filter", "value"], `a condition of ${name}`);
        const valueEntry = lookup(item, "value");
        const filterEntry = lookup(item, "filter");
        if (!valueEntry) {
          this.yaml.error(item.range, `${name}: this condition has no value:`);
          continue;
        }
        let filter: string | null = null;
        if (filterEntry) {
          const f = filterEntry.value;
          if (f.kind !== "scalar" || (typeof f.value !== "string" && typeof f.value !== "number")) {
            this.yaml.error(f.range, `${name}: filter is a piece of a tensor name (e.g. self_attn), not ${describeYaml(f)}`);
            continue;
          }
          filter = f.value === "*" ? null : String(f.value);
        }
        const value = this.plain(valueEntry.value, name);
        if (value) entries.push({ filter, value, range: item.range });
      }
      return { kind: "conditional", entries, range: v.range };
    }
    return this.plain(v, name);
  }
}
