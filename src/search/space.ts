/**
 * A recipe's search spaces as dimensions of the unit cube: every strategy proposes points in [0, 1]ⁿ,
 * and this module turns a point into parameter values and the values into recipe text (each
 * search(...) call replaced by its value, so a candidate is an ordinary recipe).
 */
import type { SearchSite } from "../language/search-checks.js";
import { formatNumber } from "../language/values.js";

export interface Dimension {
  /** `lambda`, `weights[math]`, `density@7` (line) when a parameter is searched in several places. */
  name: string;
  kind: "interval" | "choice";
  from: number;
  to: number;
  log: boolean;
  integer: boolean;
  /** Grid points over an interval, when the recipe gives them. */
  steps: number | null;
  /** The values of a choice. */
  values: number[];
}

/** One search(...) call and the dimensions that fill it (one, or one per model). */
interface Slot {
  site: SearchSite;
  dims: number[];
}

export class SearchSpace {
  readonly dimensions: Dimension[] = [];
  private readonly slots: Slot[] = [];

  constructor(sites: readonly SearchSite[]) {
    const seen = new Set<number>();
    const count = new Map<string, number>();
    for (const s of sites) count.set(s.param, (count.get(s.param) ?? 0) + 1);
    for (const site of sites) {
      // A bound space used twice (`l = search(..)` in two merges) is one coefficient, filled once.
      if (seen.has(site.call.range.start.offset)) continue;
      seen.add(site.call.range.start.offset);
      const label = (count.get(site.param) ?? 0) > 1 ? `${site.param}@${site.call.range.start.line}` : site.param;
      const names = site.perModel ? site.modelNames.map((m, i) => `${label}[${/^[A-Za-z_]\w*$/.test(m) ? m : i}]`) : [label];
      const dims: number[] = [];
      for (const name of names) {
        dims.push(this.dimensions.length);
        const d = site.domain;
        this.dimensions.push(
          d.kind === "interval"
            ? { name, kind: "interval", from: d.from, to: d.to, log: d.log, integer: site.integer, steps: d.steps, values: [] }
            : { name, kind: "choice", from: Math.min(...d.values), to: Math.max(...d.values), log: false, integer: site.integer, steps: null, values: d.values },
        );
      }
      this.slots.push({ site, dims });
    }
  }

  get size(): number {
    return this.dimensions.length;
  }

  /** The parameter values of a point of the unit cube (rounded to 6 significant digits, as written). */
  decode(unit: readonly number[]): number[] {
    return this.dimensions.map((d, i) => decodeOne(d, clamp01(unit[i] ?? 0.5)));
  }

  /** `lambda 0.7, density 0.2` for tables and messages. */
  describe(values: readonly number[]): string {
    return this.dimensions.map((d, i) => `${d.name} ${formatNumber(values[i]!)}`).join(", ");
  }

  /** Edits replacing every search(...) call by its value (a list for per-model spaces). */
  edits(values: readonly number[]): TextEdit[] {
    return this.slots.map((slot) => {
      const vs = slot.dims.map((i) => formatNumber(values[i]!));
      return { start: slot.site.call.range.start.offset, end: slot.site.call.range.end.offset, text: slot.site.perModel ? `[${vs.join(", ")}]` : vs[0]! };
    });
  }

  /** The recipe with every search(...) call replaced by its value. */
  substitute(text: string, values: readonly number[]): string {
    return applyEdits(text, this.edits(values));
  }
}

export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits (any order) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function decodeOne(d: Dimension, u: number): number {
  if (d.kind === "choice") return d.values[Math.min(d.values.length - 1, Math.floor(u * d.values.length))]!;
  let v = d.log ? Math.exp(Math.log(d.from) + u * (Math.log(d.to) - Math.log(d.from))) : d.from + u * (d.to - d.from);
  if (d.integer) v = Math.round(v);
  v = Number(v.toPrecision(6));
  return Math.min(d.to, Math.max(d.from, v));
}

/** The unit coordinates of a grid over one dimension: a choice's values, or `steps` evenly spaced points. */
export function gridCoordinates(d: Dimension, steps: number): number[] {
  if (d.kind === "choice") return d.values.map((_, i) => (i + 0.5) / d.values.length);
  const n = d.integer ? Math.min(steps, Math.round(d.to - d.from) + 1) : steps;
  if (n <= 1) return [0.5];
  return Array.from({ length: n }, (_, i) => i / (n - 1));
}
