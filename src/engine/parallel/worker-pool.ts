/** A fixed set of engine worker threads, each running one task at a time. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { WorkerReply, WorkerTask } from "./protocol.js";
import { SCRATCH_BYTES, simdKernels } from "../../wasm/simd-kernels.js";
import { type SharedMemory, threadHeap } from "../../wasm/heap.js";

/** What a worker starts with: the kernels' shared memory and its scratch there (null without the kernels). */
export interface WorkerStart {
  heap: { memory: SharedMemory; scratch: number } | null;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type TaskRequest = DistributiveOmit<WorkerTask, "id">;
export type TaskSuccess = Extract<WorkerReply, { ok: true }>;

const WORKER_URL = new URL("./worker.js", import.meta.url);

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (r: TaskSuccess) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;
  /** The workers' kernel scratch blocks in the shared memory. */
  private readonly scratch: number[] = [];

  /**
   * `count` workers, or null when the worker script is not next to this module (a bundled build):
   * the engine then runs on the main thread alone.
   */
  static create(count: number): WorkerPool | null {
    if (count < 1 || !existsSync(fileURLToPath(WORKER_URL))) return null;
    return new WorkerPool(count);
  }

  private constructor(count: number) {
    // The main thread's kernels first: they create the heap the workers then share.
    const heap = simdKernels() ? threadHeap() : null;
    for (let i = 0; i < count; i++) {
      const scratch = heap?.alloc(SCRATCH_BYTES) ?? null;
      if (scratch !== null) this.scratch.push(scratch);
      const start: WorkerStart = { heap: heap && scratch !== null ? { memory: heap.memory, scratch } : null };
      const worker = new Worker(WORKER_URL, { workerData: start });
      worker.on("message", (reply: WorkerReply) => this.settle(reply));
      worker.on("error", (e) => this.fail(e));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`an engine worker thread stopped (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs a task on worker `index`. */
  run(index: number, task: TaskRequest): Promise<TaskSuccess> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[index]!.postMessage({ ...task, id } as WorkerTask);
    });
  }

  /** Runs the same task on every worker (they take turns on its ranges); one promise per worker. */
  broadcast(task: TaskRequest): Promise<TaskSuccess>[] {
    return this.workers.map((_, i) => this.run(i, task));
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const w of workers) w.removeAllListeners("exit");
    await Promise.all(workers.map((w) => w.terminate()));
    for (const at of this.scratch.splice(0)) threadHeap().release(at);
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply);
    else p.reject(new Error(reply.message));
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
