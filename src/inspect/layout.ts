/**
 * The sums a report is made of, laid out in one Float64Array per accumulator. Every metric is a
 * smooth function of these totals, so totals add across tensors, layers and the whole model, and
 * (in sampled mode) one covariance matrix over them gives every metric's interval.
 */
export class VariableLayout {
  readonly tasks: number;
  readonly pcb: boolean;
  /** Number of variables. */
  readonly size: number;
  /** Elements (per task). */
  readonly count = 0;
  /** Elements where two tasks keep non-zero values of opposite sign after trimming. */
  readonly conflict = 1;
  private readonly pairBase: number;
  private readonly pcbBase: number;

  constructor(tasks: number, pcb: boolean) {
    if (!Number.isInteger(tasks) || tasks < 1) throw new RangeError(`interference needs at least one model, got ${tasks}`);
    this.tasks = tasks;
    this.pcb = pcb;
    this.pairBase = 2 + 4 * tasks;
    this.pcbBase = this.pairBase + (tasks * (tasks - 1)) / 2;
    this.size = this.pcbBase + (pcb ? 4 * tasks : 0);
  }

  /** Σ|δᵢ|. */
  l1(i: number): number {
    return 2 + 4 * i;
  }
  /** Σ|δᵢ| over the elements trimming removes. */
  removed(i: number): number {
    return 3 + 4 * i;
  }
  /** Σδᵢ². */
  sumsq(i: number): number {
    return 4 + 4 * i;
  }
  /** Σ|trimmed δᵢ| over the elements whose sign disagrees with the elected sign. */
  lost(i: number): number {
    return 5 + 4 * i;
  }
  /** Σδᵢδⱼ (i ≠ j). */
  dot(i: number, j: number): number {
    if (i === j || i < 0 || j < 0 || i >= this.tasks || j >= this.tasks) throw new RangeError(`no pair (${i}, ${j})`);
    const [a, b] = i < j ? [i, j] : [j, i];
    // Pairs in row order: (0,1), (0,2), ..., (1,2), ...
    return this.pairBase + a * this.tasks - (a * (a + 1)) / 2 + (b - a - 1);
  }
  /** PCB: elements of task i whose balancing scale is 0 (dropped). */
  pcbDropped(i: number): number {
    return this.pcbIndex(0, i);
  }
  /** PCB: Σβᵢ. */
  pcbBetaSum(i: number): number {
    return this.pcbIndex(1, i);
  }
  /** PCB: Σβᵢ². */
  pcbBetaSq(i: number): number {
    return this.pcbIndex(2, i);
  }
  /** PCB: Σ scaleᵢ (task i's weight in the balanced mean). */
  pcbScale(i: number): number {
    return this.pcbIndex(3, i);
  }

  private pcbIndex(slot: number, i: number): number {
    if (!this.pcb) throw new Error("this report has no PCB view");
    return this.pcbBase + slot * this.tasks + i;
  }
}
