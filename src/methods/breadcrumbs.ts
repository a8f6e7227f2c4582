/**
 * `breadcrumbs(m..., base, density: 0.9, gamma: 0.01, lambda: 1.0, weights?, consensus: "none",
 * normalize: false, rescale: false)`: Model Breadcrumbs. Per task, with k = floor(d·density) entries to keep and
 * t = floor(d·gamma) outliers to drop (fewer when they would leave less than k, as mergekit does),
 * keep the entries ranked between the d − k − t smallest and the t largest magnitudes:
 * low ≤ |δ| < high, with low and high the order statistics at those ascending ranks (ties at the
 * lower bound kept, at the upper bound dropped). `rescale: "l1"` (or true), "l2" or "linf" scales each
 * kept task vector back to its norm before dropping (mergekit's `rescale: true`). Then the weighted sum,
 * or TIES's consensus.
 */
import { BLOCK } from "../engine/kernels/elementwise.js";
import type { MethodKernel, SeriesSelection, StageResults } from "./method.js";
import type { ResolvedParams } from "../graph/params.js";
import { ParamReader } from "./param-reader.js";
import { isNorm, normOf, normSelection, normTerm, readRescale, rescaleFactor, type RescaleNorm } from "./shared/norm-rescale.js";
import { deltaSeries } from "./shared/series.js";
import { type Agreement, type Consensus, readAgreement, sparseMergeBlock, sparseMergeParams } from "./shared/sparse-merge.js";

export interface BreadcrumbsParams {
  density: number[];
  gamma: number[];
  lambda: number;
  weights: number[];
  consensus: Consensus;
  agreement: Agreement;
  normalize: boolean;
  rescale: RescaleNorm | null;
}

/** Per task: keep low ≤ |δ| < high (low NaN keeps nothing), then multiply by `scale`. */
export interface BreadcrumbsBounds {
  low: number[];
  high: number[];
  scale: number[];
}

/** mergekit's counts: elements dropped at the bottom and at the top, or null to keep everything. */
export function breadcrumbsCounts(d: number, density: number, gamma: number): { bottom: number; top: number } | null {
  if (density >= 1) return null;
  const keep = Math.floor(density * d);
  let top = Math.floor(gamma * d);
  let bottom = d - keep - top;
  if (bottom < 0) {
    top += bottom;
    bottom = 0;
  }
  return { bottom, top };
}

function ranksOf(d: number, density: number, gamma: number): number[] {
  const c = breadcrumbsCounts(d, density, gamma);
  if (c === null || c.bottom >= d) return [];
  const ranks: number[] = [];
  if (c.bottom > 0) ranks.push(c.bottom);
  if (c.top > 0) ranks.push(d - c.top);
  return ranks;
}

/** Breadcrumbs keeps entries by rank, not by chance, so `rescale: true` means the L1 norm, as in mergekit. */
function breadcrumbsRescale(params: ResolvedParams): RescaleNorm | null {
  const r = readRescale(params, "breadcrumbs", false);
  return r === true ? "l1" : isNorm(r) ? r : null;
}

/** The keep bounds of every task, from stage 0's order statistics over a scope of `d` elements. */
function keepBounds(params: BreadcrumbsParams, d: number, stages: StageResults): { low: number[]; high: number[] } {
  const low: number[] = [];
  const high: number[] = [];
  params.density.forEach((density, i) => {
    const c = breadcrumbsCounts(d, density, params.gamma[i]!);
    const got = stages[0]?.[i] ?? [];
    if (c === null) {
      low.push(0);
      high.push(Infinity);
    } else if (c.bottom >= d) {
      low.push(NaN);
      high.push(Infinity);
    } else {
      low.push(c.bottom > 0 ? got[0]! : 0);
      high.push(c.top > 0 ? got[got.length - 1]! : Infinity);
    }
  });
  return { low, high };
}

export const breadcrumbsKernel: MethodKernel<BreadcrumbsParams, BreadcrumbsBounds> = {
  name: "breadcrumbs",
  backend: "cpu",
  inputKind: "models",
  base: "required",
  scopeParams: ["density", "gamma"],
  parseParams(params, inputCount) {
    const r = new ParamReader(params, "breadcrumbs");
    const density = r.perModel("density", inputCount, 0.9);
    const gamma = r.perModel("gamma", inputCount, 0.01);
    r.inRange("density", density, 0, 1);
    r.inRange("gamma", gamma, 0, 1);
    return {
      density,
      gamma,
      lambda: r.number("lambda", 1),
      weights: r.perModel("weights", inputCount, 1),
      consensus: r.string("consensus", ["none", "sum", "count"] as const, "none"),
      agreement: readAgreement(r),
      normalize: r.bool("normalize", false),
      rescale: breadcrumbsRescale(params),
    };
  },
  stats: {
    stage(params, stage, d) {
      if (stage === 0) {
        const ranks = params.density.map((density, i): SeriesSelection => ({ mode: "magnitude", ranks: ranksOf(d, density, params.gamma[i]!) }));
        // With rescaling, one more series counts the scope, which stage 1 needs for the bounds.
        return params.rescale === null ? ranks : [...ranks, { mode: "sum" }];
      }
      const norm = params.rescale;
      if (stage > 1 || norm === null) return null;
      return params.density.flatMap((): SeriesSelection[] => [normSelection(norm, d), normSelection(norm, d)]);
    },
    values(params, stage, earlier, chunk, start, end, out) {
      if (stage === 0) {
        deltaSeries(chunk, start, end, out);
        if (params.rescale !== null) out[chunk.inputs.length]!.fill(1, 0, end - start);
        return;
      }
      // Stage 1 (norm rescaling): each task vector's norm term before and after dropping.
      const norm = params.rescale!;
      const { low, high } = keepBounds(params, earlier[0]![chunk.inputs.length]![0]!, earlier);
      const base = chunk.base!;
      chunk.inputs.forEach((model, i) => {
        const lo = low[i]!;
        const hi = high[i]!;
        for (let j = start, k = 0; j < end; j++, k++) {
          const x = Math.fround(model[j]! - base[j]!);
          const m = Math.abs(x);
          out[2 * i]![k] = normTerm(norm, x);
          out[2 * i + 1]![k] = normTerm(norm, x * (+(m >= lo) * +(m < hi)));
        }
      });
    },
    result(params, d, _n, stages) {
      const { low, high } = keepBounds(params, d, stages);
      const norm = params.rescale;
      const scale = params.density.map((_, i) =>
        norm === null ? 1 : rescaleFactor(normOf(norm, stages[1]![2 * i]!), normOf(norm, stages[1]![2 * i + 1]!)),
      );
      return { low, high, scale };
    },
  },
  apply(params, stats, chunk, out, ctx) {
    const n = chunk.inputs.length;
    const base = chunk.base!;
    const low = Float64Array.from(stats!.low);
    const high = Float64Array.from(stats!.high);
    const scale = Float64Array.from(stats!.scale);
    const merge = sparseMergeParams(params);
    for (let s = 0; s < chunk.length; s += BLOCK) {
      const len = Math.min(chunk.length, s + BLOCK) - s;
      const kept: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const model = chunk.inputs[i]!;
        const k = ctx.scratch.f32(i, len);
        const lo = low[i]!;
        const hi = high[i]!;
        const sc = scale[i]!;
        for (let j = 0; j < len; j++) {
          const d = Math.fround(model[s + j]! - base[s + j]!);
          const m = Math.abs(d);
          k[j] = d * (+(m >= lo) * +(m < hi)) * sc;
        }
        kept.push(k);
      }
      sparseMergeBlock(kept, merge, base, out, s, len, ctx.scratch);
    }
  },
};
