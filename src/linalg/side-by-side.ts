/**
 * Independent decompositions two at a time: one on the product thread, one on the caller, each on
 * one core, instead of one after the other with their products and row passes cut over both
 * cores. What a cut cannot share (divide and conquer's secular equations, packing, conversions,
 * the memory-bound row passes' hand-overs) then runs in parallel too. Measured at 4096 on this
 * project's 2-core machine: two polar factors 25.3 s side by side against 2 × 18.2 s one after
 * the other, two task SVDs 18.5 s against 2 × 11.3 s. The bits are those of one after the other: every
 * product row and reduction row is computed the same way on either thread (product-thread.ts,
 * row-thread.ts), and the caller's eigensolver setting goes with the task (thread-tasks.ts).
 */
import { freemem } from "node:os";
import { type Svd, eigenSolver } from "./eigen.js";
import type { Matrix } from "./matrix.js";
import { productThreadForTasks } from "./matmul.js";
import { setRowThreadUse } from "./row-thread.js";
import type { SvdMode } from "./svd.js";
import { type PolarResult, type TaskResult, type ThreadTask, runTask } from "./thread-tasks.js";

/**
 * From this short side, pairs go side by side. Measured here (tsv, 3 tasks, the thread warm):
 * 0.19 s against 0.25 s at 128, 1.60 / 2.68 s at 256, 0.53 / 0.89 s at 512, 1.39 / 1.89 s at 1024.
 */
export const SIDE_BY_SIDE_MIN = 128;

/** Peak bytes a decomposition of an r×c matrix holds, per element (the thread's copy, Gram, eigenvectors, products). */
const BYTES_PER_ELEMENT = 80;

let minimum = SIDE_BY_SIDE_MIN;
/** Tasks the thread has answered (tests and benchmarks). */
let answered = 0;

/** How many tasks the product thread has answered so far. */
export function tasksAnsweredByThread(): number {
  return answered;
}

/** Sets the short side from which pairs go side by side (tests; Infinity: never); returns the previous one. */
export function setSideBySideMin(short: number): number {
  const was = minimum;
  minimum = short;
  return was;
}

/** The polar factors and spectra of xs (polarAndSpectrum each), two at a time where they pay. */
export function polarsSideBySide(xs: readonly Matrix[], mode: SvdMode = "auto"): PolarResult[] {
  return sideBySide(xs.map((x) => ({ kind: "polar" as const, x, mode, solver: eigenSolver() })));
}

/** The leading `rank` singular triplets of each of xs (leadingSvd each), two at a time where they pay. */
export function leadingSvdsSideBySide(xs: readonly Matrix[], rank: number, mode: SvdMode = "auto"): Svd[] {
  return sideBySide(xs.map((x) => ({ kind: "leading-svd" as const, x, rank, mode, solver: eigenSolver() })));
}

/** truncatedSvd(xs[i], rank, mode, seeds[i]) each, two at a time where they pay. */
export function truncatedSvdsSideBySide(xs: readonly Matrix[], rank: number, mode: SvdMode, seeds: readonly number[]): Svd[] {
  return sideBySide(xs.map((x, i) => ({ kind: "truncated-svd" as const, x, rank, mode, seed: seeds[i]!, solver: eigenSolver() })));
}

/** polarOfOrthonormalPair of each pair (after a Newton–Schulz step on both where `refine`), two at a time where they pay. */
export function orthonormalPairPolarsSideBySide(pairs: readonly { x: Matrix; y: Matrix; refine: boolean }[]): Matrix[] {
  return sideBySide(pairs.map(({ x, y, refine }) => ({ kind: "polar-pair" as const, x, y, refine, solver: eigenSolver() })));
}

/** gramSvd(x, floor, rank) each, two at a time where they pay. */
export function gramSvdsSideBySide(xs: readonly Matrix[], floor: number, rank: number): Svd[] {
  return sideBySide(xs.map((x) => ({ kind: "gram-svd" as const, x, rank, floor, solver: eigenSolver() })));
}

function sideBySide<T extends ThreadTask>(tasks: readonly T[]): TaskResult<T>[] {
  const out: TaskResult<T>[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const here = tasks[i]!;
    const there = tasks[i + 1];
    const thread = there !== undefined && worthPairing(here, there) ? productThreadForTasks() : null;
    if (thread === null || !thread.free || there === undefined) {
      out.push(runTask(here));
      continue;
    }
    thread.startTask(there);
    let answer: unknown = null;
    let finished = false;
    const rows = setRowThreadUse(false); // both cores are taken
    try {
      out.push(runTask(here));
      answer = thread.finishTask();
      finished = true;
    } finally {
      setRowThreadUse(rows);
      if (!finished) thread.finishTask();
    }
    if (answer !== null) answered++;
    out.push((answer as TaskResult<T> | null) ?? runTask(there));
    i++;
  }
  return out;
}

function worthPairing(a: ThreadTask, b: ThreadTask): boolean {
  const short = Math.min(a.x.rows, a.x.cols, b.x.rows, b.x.cols);
  return short >= minimum && freemem() > 2 * BYTES_PER_ELEMENT * b.x.rows * b.x.cols;
}
