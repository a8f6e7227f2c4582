/**
 * mergekit's rescaling of a sparsified task vector (`rescale: true` there): the kept entries are
 * scaled so that the tensor keeps the norm it had before dropping, ‖δ‖ / ‖δ·mask‖ with the L1 norm
 * (mergekit's choice), L2 or L∞; no scaling when either norm is below 1e-7. Both norms are
 * whole-tensor statistics: sums for L1 and L2, the largest magnitude for L∞.
 */
import type { SeriesSelection } from "../method.js";
import { ParamError } from "../param-reader.js";
import type { ResolvedParams } from "../../graph/params.js";

export type RescaleNorm = "l1" | "l2" | "linf";

/** `rescale`: false, true (divide by the keep probability, as the papers do), or a norm to keep. */
export type Rescale = boolean | RescaleNorm;

const NORMS: readonly string[] = ["l1", "l2", "linf"];

/** Reads `rescale` (true, false, "l1", "l2" or "linf"). */
export function readRescale(params: ResolvedParams, method: string, fallback: Rescale): Rescale {
  const v = params["rescale"];
  if (v === undefined) return fallback;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && NORMS.includes(v)) return v as RescaleNorm;
  throw new ParamError(`${method}: rescale must be true, false, "l1", "l2" or "linf", got ${JSON.stringify(v)}`);
}

export function isNorm(r: Rescale): r is RescaleNorm {
  return typeof r === "string";
}

/** The statistic one norm needs over `d` elements of its series. */
export function normSelection(norm: RescaleNorm, d: number): SeriesSelection {
  return norm === "linf" ? { mode: "magnitude", ranks: d > 0 ? [d - 1] : [] } : { mode: "sum" };
}

/** The series value of element x for a norm (|x| summed, x² summed, or x itself for the largest |x|). */
export function normTerm(norm: RescaleNorm, x: number): number {
  return norm === "l1" ? Math.abs(x) : norm === "l2" ? x * x : x;
}

/** The norm from its statistic (the results of `normSelection`). */
export function normOf(norm: RescaleNorm, stat: readonly number[]): number {
  const v = stat[0] ?? 0;
  return norm === "l1" ? v : norm === "l2" ? Math.sqrt(v) : Math.abs(v);
}

const EPS = 1e-7;

/** before / after, or 1 when either norm is (nearly) zero. */
export function rescaleFactor(before: number, after: number): number {
  return before < EPS || after < EPS ? 1 : before / after;
}
