/**
 * The whole computations the product thread takes beside the caller's (side-by-side.ts): polar
 * factors and the SVDs the spectral methods and the inspector run per task. The task is copied to
 * the thread (structured clone); the result's buffers are transferred back, not copied. The
 * caller's eigensolver setting travels with it, so the thread computes what the caller would.
 */
import { type EigenSolver, type Svd, setEigenSolver } from "./eigen.js";
import { gramSvd } from "./gram-svd.js";
import type { Matrix } from "./matrix.js";
import { newtonSchulzStep } from "./orthonormal.js";
import { polarAndSpectrum } from "./polar.js";
import { polarOfOrthonormalPair } from "./polar-pair.js";
import { type SvdMode, leadingSvd, truncatedSvd } from "./svd.js";

interface Common {
  x: Matrix;
  solver: EigenSolver;
}

/** polarAndSpectrum(x, mode) */
export interface PolarTask extends Common {
  kind: "polar";
  mode: SvdMode;
}

/** leadingSvd(x, rank, mode), or with a seed truncatedSvd(x, rank, mode, seed) */
export interface SvdTask extends Common {
  kind: "leading-svd" | "truncated-svd";
  rank: number;
  mode: SvdMode;
  seed?: number;
}

/** gramSvd(x, floor, rank) */
export interface GramSvdTask extends Common {
  kind: "gram-svd";
  rank: number;
  floor: number;
}

/** polarOfOrthonormalPair(x, y), with one Newton–Schulz step on each first when `refine` */
export interface PolarPairTask extends Common {
  kind: "polar-pair";
  y: Matrix;
  refine: boolean;
}

export type ThreadTask = PolarTask | SvdTask | GramSvdTask | PolarPairTask;

/** polarAndSpectrum's result. */
export interface PolarResult {
  polar: Matrix;
  s: Float64Array;
}

export type TaskResult<T extends ThreadTask> = T extends PolarTask ? PolarResult : T extends PolarPairTask ? Matrix : Svd;

function run(t: ThreadTask): PolarResult | Svd | Matrix {
  switch (t.kind) {
    case "polar":
      return polarAndSpectrum(t.x, t.mode);
    case "leading-svd":
      return leadingSvd(t.x, t.rank, t.mode);
    case "truncated-svd":
      return truncatedSvd(t.x, t.rank, t.mode, t.seed);
    case "gram-svd":
      return gramSvd(t.x, t.floor, t.rank);
    case "polar-pair":
      return t.refine ? polarOfOrthonormalPair(newtonSchulzStep(t.x), newtonSchulzStep(t.y)) : polarOfOrthonormalPair(t.x, t.y);
  }
}

/** Runs a task here (on the thread, or on the caller when the thread could not). */
export function runTask<T extends ThreadTask>(t: T): TaskResult<T> {
  const was = setEigenSolver(t.solver);
  try {
    return run(t) as TaskResult<T>;
  } finally {
    setEigenSolver(was);
  }
}

/** runTask's result and the buffers to transfer with it (those the result's arrays own whole). */
export function runThreadTask(t: ThreadTask): { reply: PolarResult | Svd | Matrix; transfer: ArrayBuffer[] } {
  const reply = runTask(t);
  const arrays = "polar" in reply ? [reply.polar.data, reply.s] : "u" in reply ? [reply.u.data, reply.s, reply.v.data] : [reply.data];
  const transfer: ArrayBuffer[] = [];
  for (const a of arrays) {
    const b = a.buffer;
    if (b instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === b.byteLength && !transfer.includes(b)) transfer.push(b);
  }
  return { reply, transfer };
}
