/**
 * A second thread for the memory-bound row passes of the blocked reduction (symmetric-matvec.ts):
 * it instantiates the eigen kernels on the caller's shared memory for one reduction (`attach`),
 * then computes the long rows of each long column while the caller computes the short ones. The
 * hand-over is a control word in shared memory (Atomics.wait/notify), about 20 µs, against 1–2 ms
 * of rows per column at 4096. Started by useFastProducts on the main thread of a multi-core machine.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";
import { Worker, isMainThread } from "node:worker_threads";
import type { KernelMemory } from "./symmetric-eigen.js";
import type { ColumnProduct } from "./symmetric-matvec.js";

/** Control word values. */
export const ROW_IDLE = 0;
export const ROW_ATTACHING = 1;
export const ROW_READY = 2;
export const ROW_GO = 3;
export const ROW_DONE = 4;
export const ROW_DETACH = 5;
export const ROW_FAILED = 6;

/** Int32 slots of the control buffer: the word, then the job (ColumnProduct fields, then i0, i1). */
export const ROW_SLOTS = 9;

/** Longest wait for the thread: it only ever waits on the caller, so a silent thread has died. */
const ANSWER_MS = 120_000;

export interface RowAttach {
  wasm: KernelMemory;
  /** float32 values the loops cover */
  size: number;
}

export interface RowWorkerStart {
  control: SharedArrayBuffer;
}

const WORKER_URL = new URL("./row-worker.js", import.meta.url);

export class RowThread {
  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
  ) {}

  /** A started thread: on the main thread of a multi-core machine, unless MERGELANG_ROW_THREAD=0. */
  static async start(): Promise<RowThread | null> {
    if (!isMainThread || availableParallelism() < 2 || process.env["MERGELANG_ROW_THREAD"] === "0" || !existsSync(fileURLToPath(WORKER_URL))) return null;
    const control = new SharedArrayBuffer(4 * ROW_SLOTS);
    const start: RowWorkerStart = { control };
    const worker = new Worker(WORKER_URL, { workerData: start });
    const ready = await new Promise<boolean>((resolve) => {
      worker.once("message", (m: { ready?: boolean }) => resolve(m.ready === true));
      worker.once("error", () => resolve(false));
      worker.once("exit", () => resolve(false));
    });
    if (!ready) {
      void worker.terminate();
      return null;
    }
    worker.unref();
    return new RowThread(worker, new Int32Array(control));
  }

  /** Hands the thread the caller's kernels and memory for one reduction; false if it does not answer. */
  attach(job: RowAttach): boolean {
    Atomics.store(this.control, 0, ROW_ATTACHING);
    this.worker.postMessage(job);
    return this.waitWhile(ROW_ATTACHING) === ROW_READY;
  }

  /** Starts rows [i0, i1) of column c on the thread (its scatter goes to c.into). */
  begin(c: ColumnProduct, i0: number, i1: number): void {
    const k = this.control;
    k[1] = c.a;
    k[2] = c.n;
    k[3] = c.j;
    k[4] = c.v;
    k[5] = c.w;
    k[6] = c.into;
    k[7] = i0;
    k[8] = i1;
    Atomics.store(k, 0, ROW_GO);
    Atomics.notify(k, 0);
  }

  /** Waits for the rows begun; false if the thread failed (it no longer touches the memory then). */
  end(): boolean {
    return this.waitWhile(ROW_GO) === ROW_DONE;
  }

  /** Lets the thread drop the memory (after the reduction, or when it failed). */
  detach(): void {
    if (Atomics.load(this.control, 0) === ROW_IDLE) return;
    Atomics.store(this.control, 0, ROW_DETACH);
    Atomics.notify(this.control, 0);
    this.waitWhile(ROW_DETACH);
  }

  private waitWhile(state: number): number {
    // Poll first: the rows of the two threads end within a fraction of a millisecond of each other,
    // and a sleeping thread takes about 0.1 ms to wake here.
    const until = performance.now() + 1;
    let now = Atomics.load(this.control, 0);
    while (now === state && performance.now() < until) {
      for (let i = 0; i < 256 && now === state; i++) now = Atomics.load(this.control, 0);
    }
    const deadline = Date.now() + ANSWER_MS;
    while (now === state) {
      if (Date.now() > deadline) throw new Error("the row thread of the eigendecomposition stopped answering");
      Atomics.wait(this.control, 0, state, 1000);
      now = Atomics.load(this.control, 0);
    }
    return now;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

let thread: RowThread | null = null;
let using = true;

/** The row thread, once started (startRowThread) and while in use, or null. */
export function rowThread(): RowThread | null {
  return using ? thread : null;
}

/** Whether reductions use the row thread (tests and benchmarks: the same bits either way); returns the previous setting. */
export function setRowThreadUse(on: boolean): boolean {
  const was = using;
  using = on;
  return was;
}

/** Starts the row thread (once; useFastProducts calls it on a multi-core machine). */
export async function startRowThread(): Promise<RowThread | null> {
  thread ??= await RowThread.start();
  return thread;
}
