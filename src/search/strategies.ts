/**
 * Search strategies over the unit cube, ask/tell: each proposes a batch of points, then hears their
 * values (to minimise) in the same order. All randomness comes from the seed, and a batch is told in
 * proposal order whatever order its evaluations finish in, so the same seed gives the same candidates.
 */
import { Random } from "../util/random.js";
import { CmaEs } from "./cmaes.js";
import { gridCoordinates, type Dimension } from "./space.js";

export type StrategyName = "grid" | "random" | "cmaes";

export interface Strategy {
  /** The next points to evaluate; null when the strategy has nothing more to propose. */
  next(): number[][] | null;
  /** Values of the points of the last `next()`, in order (NaN for none). */
  report(values: readonly number[]): void;
  /** Candidates the strategy will propose in all, when it knows (a grid). */
  readonly planned: number | null;
  /** A line for the live table (restarts, step size), or "". */
  status(): string;
}

export interface StrategyOptions {
  budget: number;
  seed: number;
  /** Points per batch for grid and random (CMA-ES batches a generation). */
  batch: number;
  sigma: number;
}

export function makeStrategy(name: StrategyName, dims: readonly Dimension[], options: StrategyOptions): Strategy {
  switch (name) {
    case "grid":
      return new GridStrategy(dims, options);
    case "random":
      return new RandomStrategy(dims.length, options);
    case "cmaes":
      return new CmaStrategy(dims.length, options);
  }
}

/** Steps per interval dimension without its own `steps:`: as many as the budget allows, at least 2. */
export function defaultSteps(dims: readonly Dimension[], budget: number): number {
  let fixed = 1;
  let free = 0;
  for (const d of dims) {
    if (d.kind === "choice") fixed *= d.values.length;
    else if (d.steps !== null) fixed *= d.steps;
    else free++;
  }
  if (free === 0) return 2;
  return Math.max(2, Math.floor((budget / fixed) ** (1 / free) + 1e-9));
}

/** Every combination of the dimensions' grid points, the first dimension varying slowest. */
export function gridPoints(dims: readonly Dimension[], budget: number): number[][] {
  const steps = defaultSteps(dims, budget);
  let points: number[][] = [[]];
  for (const d of dims) {
    const coords = gridCoordinates(d, d.steps ?? steps);
    points = points.flatMap((p) => coords.map((c) => [...p, c]));
  }
  return points;
}

class GridStrategy implements Strategy {
  private readonly points: number[][];
  private at = 0;

  constructor(
    dims: readonly Dimension[],
    private readonly options: StrategyOptions,
  ) {
    this.points = gridPoints(dims, options.budget);
  }

  get planned(): number {
    return this.points.length;
  }

  next(): number[][] | null {
    if (this.at >= this.points.length) return null;
    const batch = this.points.slice(this.at, this.at + this.options.batch);
    this.at += batch.length;
    return batch;
  }

  report(): void {}

  status(): string {
    return `grid of ${this.points.length}`;
  }
}

class RandomStrategy implements Strategy {
  private readonly rng: Random;
  readonly planned = null;

  constructor(
    private readonly n: number,
    private readonly options: StrategyOptions,
  ) {
    this.rng = new Random(options.seed);
  }

  next(): number[][] {
    return Array.from({ length: this.options.batch }, () => Array.from({ length: this.n }, () => this.rng.uniform()));
  }

  report(): void {}

  status(): string {
    return `random, seed ${this.options.seed}`;
  }
}

class CmaStrategy implements Strategy {
  private readonly cma: CmaEs;
  readonly planned = null;

  constructor(n: number, options: StrategyOptions) {
    this.cma = new CmaEs({ dimension: n, seed: options.seed, sigma: options.sigma, bounded: true });
  }

  next(): number[][] {
    return this.cma.ask();
  }

  report(values: readonly number[]): void {
    this.cma.tell(values);
  }

  status(): string {
    return `cmaes generation ${this.cma.generation + 1}, population ${this.cma.populationSize}, step ${this.cma.stepSize.toPrecision(2)}${this.cma.restartCount ? `, ${this.cma.restartCount} restart${this.cma.restartCount === 1 ? "" : "s"}` : ""}`;
  }
}
