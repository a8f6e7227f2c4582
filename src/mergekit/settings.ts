/**
 * mergekit's parameter resolution, per tensor (mergekit `evaluate_setting` and `ConfigReader`):
 * - a list of numbers is a gradient, interpolated at the tensor's position t ∈ [0, 1] in its slice
 *   (`gradientPosition`);
 * - a list of other values takes the entry at ⌊t·(len − 1)⌋;
 * - a list of {filter, value} takes the first whose filter is a substring of the tensor name;
 * - a per-model parameter is looked up in the model's own parameters, then the slice's, then the
 *   top-level ones; a global parameter in the slice's, then the top-level ones.
 */
import type { ParamMap, PlainSetting, Setting, SourceDef } from "./config.js";

export type SettingValue = number | string | boolean;

/**
 * mergekit's t of a tensor: layer i of n at i/(n − 1) (1 for a single layer); every tensor outside
 * the layers (embeddings, final norm, head) at 0, as mergekit's planner reads them since its
 * multi-module rewrite (March 2025; before it the final norm and head were at 1).
 */
export function gradientPosition(layer: number | null, layerCount: number): number {
  if (layer === null) return 0;
  return layerCount > 1 ? layer / (layerCount - 1) : 1;
}

export function evaluatePlain(s: PlainSetting, t: number): SettingValue {
  if (s.kind === "scalar") return s.value;
  if (s.kind === "steps") return s.values[Math.floor(t * (s.values.length - 1))]!;
  const scaled = t * (s.values.length - 1);
  const i0 = Math.floor(scaled);
  const i1 = Math.min(s.values.length - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * s.values[i0]! + frac * s.values[i1]!;
}

export function evaluateSetting(s: Setting, tensorName: string, t: number): SettingValue | undefined {
  if (s.kind !== "conditional") return evaluatePlain(s, t);
  for (const e of s.entries) if (e.filter === null || tensorName.includes(e.filter)) return evaluatePlain(e.value, t);
  return undefined;
}

/** The levels a slice's parameters are looked up in. */
export interface ParamLevels {
  sources: readonly SourceDef[];
  slice: ParamMap | null;
  top: ParamMap;
}

function fromMap(map: ParamMap | null, name: string, tensor: string, t: number): SettingValue | undefined {
  const entry = map?.get(name);
  return entry ? evaluateSetting(entry.setting, tensor, t) : undefined;
}

/** A global parameter for the tensor `outName` (the output model's name) at t. */
export function globalValue(levels: ParamLevels, name: string, outName: string, t: number): SettingValue | undefined {
  return fromMap(levels.slice, name, outName, t) ?? fromMap(levels.top, name, outName, t);
}

/** A per-model parameter of source `index` for its tensor `sourceName` at t. */
export function modelValue(levels: ParamLevels, index: number, name: string, sourceName: string, t: number): SettingValue | undefined {
  // mergekit reads the first source entry of the same model.
  const model = levels.sources[index]!.model.value;
  const own = levels.sources.find((s) => s.model.value === model)!;
  return fromMap(own.params, name, sourceName, t) ?? fromMap(levels.slice, name, sourceName, t) ?? fromMap(levels.top, name, sourceName, t);
}

/** Where a parameter is set, for messages: the first entry found in the levels. */
export function settingRange(levels: ParamLevels, name: string, index: number | null) {
  const own = index === null ? undefined : levels.sources.find((s) => s.model.value === levels.sources[index]!.model.value)?.params.get(name);
  return (own ?? levels.slice?.get(name) ?? levels.top.get(name))?.setting.range ?? null;
}
