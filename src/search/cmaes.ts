/**
 * CMA-ES (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016) with IPOP restarts (Auger & Hansen,
 * CEC 2005): the evolutionary search PCB-Merging uses for its coefficients. No npm package fits
 * (none is maintained for Node), so this is the tutorial's algorithm, minimising, ask/tell:
 *
 * - sample λ points m + σ·B·D·z, z ~ N(0, I), from the project's seeded generator;
 * - recombine the best μ with log weights; cumulate the evolution paths p_σ, p_c; rank-one and
 *   rank-μ covariance updates; cumulative step-size adaptation;
 * - restart, with twice the population, when the step is below tolX, the best values of recent
 *   generations are flat, or the covariance is ill-conditioned.
 *
 * Bounded searches run on the unit cube: points are folded into [0, 1] by reflection before they are
 * evaluated (the strategy itself moves in unbounded space, as pycma's BoundTransform), so every
 * evaluated point respects the bounds and the update keeps its Gaussian assumptions.
 */
import { Random } from "../util/random.js";
import { symmetricEigen } from "./symmetric-eigen.js";

export interface CmaOptions {
  dimension: number;
  seed: number;
  /** Initial step size (in the unit cube when bounded). */
  sigma: number;
  /** Initial mean; default: the middle of the cube (bounded) or 0. */
  mean?: readonly number[];
  /** Initial population; default 4 + ⌊3 ln n⌋. */
  populationSize?: number;
  /** Fold points into [0, 1]ⁿ before they are evaluated. */
  bounded: boolean;
  /** Restart with a doubled population when a run stops (IPOP); default true. */
  restarts?: boolean;
  tolX?: number;
  tolFun?: number;
}

/** Why the current run ended (before a restart). */
export type StopReason = "tolx" | "tolfun" | "condition" | "flat";

/** Folds x into [0, 1] by reflection at the bounds (a triangle wave of period 2). */
export function reflectUnit(x: number): number {
  const r = ((x % 2) + 2) % 2;
  return r <= 1 ? r : 2 - r;
}

export class CmaEs {
  readonly n: number;
  private readonly rng: Random;
  private readonly options: Required<Omit<CmaOptions, "mean" | "populationSize">> & { mean: readonly number[] | undefined };
  private lambda = 0;
  private mu = 0;
  private weights: number[] = [];
  private mueff = 0;
  private cc = 0;
  private cs = 0;
  private c1 = 0;
  private cmu = 0;
  private damps = 0;
  private chiN = 0;
  private mean: number[] = [];
  private sigma = 0;
  private pc: number[] = [];
  private ps: number[] = [];
  private C: number[][] = [];
  private B: number[][] = [];
  private D: number[] = [];
  private eigenAge = 0;
  private generationInRun = 0;
  private bestHistory: number[] = [];
  private pending: { raw: number[]; point: number[] }[] | null = null;
  /** Completed generations over every run. */
  generation = 0;
  /** Restarts so far (0 during the first run). */
  restartCount = 0;
  lastStop: StopReason | null = null;
  best: { point: number[]; value: number } | null = null;

  constructor(options: CmaOptions) {
    if (!(options.dimension >= 1)) throw new RangeError("CMA-ES needs at least one dimension");
    if (!(options.sigma > 0)) throw new RangeError(`CMA-ES needs a step size above 0, got ${options.sigma}`);
    this.n = options.dimension;
    this.rng = new Random(options.seed);
    this.options = {
      dimension: options.dimension,
      seed: options.seed,
      sigma: options.sigma,
      mean: options.mean,
      bounded: options.bounded,
      restarts: options.restarts ?? true,
      tolX: options.tolX ?? 1e-11,
      tolFun: options.tolFun ?? 1e-12,
    };
    this.startRun(options.populationSize ?? 4 + Math.floor(3 * Math.log(this.n)), options.mean ?? null);
  }

  /** Population size of the current run. */
  get populationSize(): number {
    return this.lambda;
  }

  get stepSize(): number {
    return this.sigma;
  }

  private startRun(lambda: number, mean: readonly number[] | null): void {
    const n = this.n;
    this.lambda = lambda;
    this.mu = Math.floor(lambda / 2);
    const raw = Array.from({ length: this.mu }, (_, i) => Math.log(this.mu + 0.5) - Math.log(i + 1));
    const sum = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / sum);
    this.mueff = 1 / this.weights.reduce((a, w) => a + w * w, 0);
    const mueff = this.mueff;
    this.cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
    this.cs = (mueff + 2) / (n + mueff + 5);
    this.c1 = 2 / ((n + 1.3) ** 2 + mueff);
    this.cmu = Math.min(1 - this.c1, (2 * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + mueff));
    this.damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (n + 1)) - 1) + this.cs;
    this.chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    const centre = this.options.bounded ? 0.5 : 0;
    this.mean = mean ? [...mean] : new Array<number>(n).fill(centre);
    this.sigma = this.options.sigma;
    this.pc = new Array<number>(n).fill(0);
    this.ps = new Array<number>(n).fill(0);
    this.C = identity(n);
    this.B = identity(n);
    this.D = new Array<number>(n).fill(1);
    this.eigenAge = 0;
    this.generationInRun = 0;
    this.bestHistory = [];
  }

  /** The next generation's points (in [0, 1]ⁿ when bounded). Call tell with their values next. */
  ask(): number[][] {
    if (this.pending) return this.pending.map((p) => [...p.point]);
    const n = this.n;
    const out: { raw: number[]; point: number[] }[] = [];
    for (let k = 0; k < this.lambda; k++) {
      const z = Array.from({ length: n }, () => this.rng.normal());
      const raw = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        let y = 0;
        for (let j = 0; j < n; j++) y += this.B[i]![j]! * this.D[j]! * z[j]!;
        raw[i] = this.mean[i]! + this.sigma * y;
      }
      out.push({ raw, point: this.options.bounded ? raw.map(reflectUnit) : [...raw] });
    }
    this.pending = out;
    return out.map((p) => [...p.point]);
  }

  /** The values (to minimise) of the points of the last ask, in the same order. */
  tell(values: readonly number[]): void {
    const pending = this.pending;
    if (!pending) throw new Error("tell() without ask()");
    if (values.length !== pending.length) throw new Error(`tell() got ${values.length} values for ${pending.length} points`);
    this.pending = null;
    const n = this.n;
    // NaN ranks last, so a failed evaluation never leads the search.
    const order = values.map((v, i) => ({ v: Number.isNaN(v) ? Infinity : v, i })).sort((a, b) => a.v - b.v || a.i - b.i);
    const top = order[0]!;
    if (!this.best || top.v < this.best.value) this.best = { point: [...pending[top.i]!.point], value: top.v };

    const old = this.mean;
    const selected = order.slice(0, this.mu).map((o) => pending[o.i]!.raw);
    const mean = new Array<number>(n).fill(0);
    for (let k = 0; k < this.mu; k++) for (let i = 0; i < n; i++) mean[i]! += this.weights[k]! * selected[k]![i]!;
    this.mean = mean;

    // C^(-1/2) · (m − m_old) / σ
    const step = mean.map((m, i) => (m - old[i]!) / this.sigma);
    const bt = new Array<number>(n).fill(0);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.B[i]![j]! * step[i]!;
      bt[j] = s / this.D[j]!;
    }
    const invSqrtStep = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) invSqrtStep[i]! += this.B[i]![j]! * bt[j]!;

    const csFactor = Math.sqrt(this.cs * (2 - this.cs) * this.mueff);
    for (let i = 0; i < n; i++) this.ps[i] = (1 - this.cs) * this.ps[i]! + csFactor * invSqrtStep[i]!;
    const psNorm = Math.hypot(...this.ps);
    this.generationInRun++;
    this.generation++;
    const hsig = psNorm / Math.sqrt(1 - (1 - this.cs) ** (2 * this.generationInRun)) / this.chiN < 1.4 + 2 / (n + 1) ? 1 : 0;
    const ccFactor = Math.sqrt(this.cc * (2 - this.cc) * this.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - this.cc) * this.pc[i]! + hsig * ccFactor * step[i]!;

    const deltaH = (1 - hsig) * this.cc * (2 - this.cc);
    const ys = selected.map((x) => x.map((xi, i) => (xi - old[i]!) / this.sigma));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let rankMu = 0;
        for (let k = 0; k < this.mu; k++) rankMu += this.weights[k]! * ys[k]![i]! * ys[k]![j]!;
        const c = (1 - this.c1 - this.cmu) * this.C[i]![j]! + this.c1 * (this.pc[i]! * this.pc[j]! + deltaH * this.C[i]![j]!) + this.cmu * rankMu;
        this.C[i]![j] = c;
        this.C[j]![i] = c;
      }
    }
    this.sigma *= Math.exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    if (this.options.bounded) {
      // The folded landscape repeats with period 2: keep the mean in the cube and the step within
      // it, or selection sees a periodic pattern and the step grows without bound.
      this.mean = this.mean.map(reflectUnit);
      this.sigma = Math.min(this.sigma, 0.5);
    }

    this.eigenAge++;
    if (this.eigenAge >= Math.max(1, Math.floor(1 / (10 * n * (this.c1 + this.cmu))))) {
      this.eigenAge = 0;
      const e = symmetricEigen(this.C);
      this.B = e.vectors;
      this.D = e.values.map((v) => Math.sqrt(Math.max(v, 1e-300)));
    }

    this.bestHistory.push(top.v);
    const stop = this.stopReason(values);
    if (stop) {
      this.lastStop = stop;
      if (this.options.restarts) {
        this.restartCount++;
        const mean = this.options.bounded ? Array.from({ length: n }, () => this.rng.uniform()) : this.options.mean ? [...this.options.mean] : null;
        this.startRun(this.lambda * 2, mean);
      }
    }
  }

  /** The tutorial's termination criteria, checked after each generation. */
  private stopReason(values: readonly number[]): StopReason | null {
    const n = this.n;
    const maxD = Math.max(...this.D);
    const minD = Math.min(...this.D);
    if (this.sigma * Math.max(maxD, ...this.pc.map(Math.abs)) < this.options.tolX) return "tolx";
    if ((maxD / minD) ** 2 > 1e14) return "condition";
    const finite = values.filter(Number.isFinite);
    const span = finite.length ? Math.max(...finite) - Math.min(...finite) : 0;
    const window = 10 + Math.ceil((30 * n) / this.lambda);
    if (this.bestHistory.length >= window) {
      const recent = this.bestHistory.slice(-window);
      const histSpan = Math.max(...recent) - Math.min(...recent);
      if (Math.max(histSpan, span) < this.options.tolFun) return "tolfun";
    }
    // Every point of a generation scoring the same (a plateau, or a metric with few distinct values).
    if (finite.length === values.length && span === 0 && this.generationInRun >= 3) return "flat";
    return null;
  }
}

function identity(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}
