/** Resolving a call's parameters for one tensor: call values, then matching where clauses, ramps. */
import type { ParamScalar, ParamTable, ParamValue, Selector } from "./graph.js";

export type ResolvedValue = ParamScalar | number[];
export type ResolvedParams = Record<string, ResolvedValue>;

const LAYER_INDEX = /(?:^|\.)layers\.(\d+)\./;

/** The `layers.N.` index in a tensor name, or null for embeddings, heads and other tensors. */
export function layerIndex(tensorName: string): number | null {
  const m = LAYER_INDEX.exec(tensorName);
  return m ? Number(m[1]) : null;
}

const globCache = new Map<string, RegExp>();

/** Glob on tensor names: `*` any run of characters (dots included), `?` one character. */
export function globToRegExp(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    globCache.set(pattern, re);
  }
  return re;
}

export function selectorMatches(selector: Selector, tensorName: string): boolean {
  if (selector.kind === "glob") return globToRegExp(selector.pattern).test(tensorName);
  const layer = layerIndex(tensorName);
  return layer !== null && layer >= selector.from && layer <= selector.to;
}

/** Value of a ramp at a layer, interpolated over [first, last]; tensors outside layers get `from`. */
function rampAt(from: number, to: number, layer: number | null, first: number, last: number): number {
  if (layer === null || last <= first) return from;
  const t = Math.min(1, Math.max(0, (layer - first) / (last - first)));
  return from + (to - from) * t;
}

/** A gradient's value at position t ∈ [0, 1], as mergekit interpolates gradient lists. */
export function gradientAt(points: readonly number[], t: number): number {
  const scaled = t * (points.length - 1);
  const i0 = Math.floor(scaled);
  const i1 = Math.min(points.length - 1, i0 + 1);
  const frac = scaled - i0;
  return (1 - frac) * points[i0]! + frac * points[i1]!;
}

function resolveValue(value: ParamValue, tensorName: string, span: [number, number]): ResolvedValue {
  if (typeof value === "object" && !Array.isArray(value)) {
    const layer = layerIndex(tensorName);
    if (value.points && value.points.length > 2) {
      if (layer === null || span[1] <= span[0]) return value.points[0]!;
      return gradientAt(value.points, Math.min(1, Math.max(0, (layer - span[0]) / (span[1] - span[0]))));
    }
    return rampAt(value.from, value.to, layer, span[0], span[1]);
  }
  return value;
}

/**
 * The parameters that apply to `tensorName`. `layerCount` is the model's number of layers, the span
 * a ramp covers when its clause is not a layer range (or when it is a call-level value).
 */
export function resolveParams(table: ParamTable, tensorName: string, layerCount: number): ResolvedParams {
  const all: [number, number] = [0, Math.max(0, layerCount - 1)];
  const out: ResolvedParams = {};
  for (const [k, v] of Object.entries(table.values)) out[k] = resolveValue(v, tensorName, all);
  for (const clause of table.where) {
    if (!selectorMatches(clause.selector, tensorName)) continue;
    const span: [number, number] =
      clause.selector.kind === "layers" ? [clause.selector.from, clause.selector.to] : all;
    for (const [k, v] of Object.entries(clause.values)) out[k] = resolveValue(v, tensorName, span);
  }
  return out;
}

/** A numeric parameter for model i: a per-model list entry, or the scalar for every model. */
export function perModel(value: ResolvedValue | undefined, i: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (Array.isArray(value)) return value[i] ?? fallback;
  return typeof value === "number" ? value : fallback;
}
