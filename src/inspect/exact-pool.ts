/**
 * Worker threads for the exact-mode report: each takes whole tensors (read, subtract, select, sum),
 * so a report uses every core, as the merge it describes does. Results are added in tensor order
 * whichever thread finishes first, so the report is the same bits as on one thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ModelFormatError } from "../io/errors.js";
import type { ExactJob, ExactReply } from "./exact-protocol.js";

const WORKER_URL = new URL("./exact-worker.js", import.meta.url);

export class ExactPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly pending = new Map<number, { worker: Worker; resolve: (r: { rows: Float64Array; bytes: number }) => void; reject: (e: Error) => void }>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;
  private failure: Error | null = null;

  /** `count` workers, or null when the worker script is not next to this module (a bundled build). */
  static create(count: number): ExactPool | null {
    if (count < 2 || !existsSync(fileURLToPath(WORKER_URL))) return null;
    return new ExactPool(count);
  }

  private constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_URL);
      worker.on("message", (reply: ExactReply) => this.settle(worker, reply));
      worker.on("error", (e) => this.failAll(e));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** Resolves when a worker is free for the next job. */
  async free(): Promise<void> {
    if (this.idle.length > 0 || this.failure) return;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Runs a job on a free worker (call `free` first). */
  run(job: Omit<ExactJob, "id">): Promise<{ rows: Float64Array; bytes: number }> {
    if (this.failure) return Promise.reject(this.failure);
    const worker = this.idle.pop();
    if (!worker) return Promise.reject(new Error("exact pool: no free worker"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ ...job, id } satisfies ExactJob);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private settle(worker: Worker, reply: ExactReply): void {
    const p = this.pending.get(reply.id);
    this.idle.push(worker);
    this.waiting.shift()?.();
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve({ rows: reply.rows, bytes: reply.bytes });
    else p.reject(reply.format ? new ModelFormatError(reply.format.code, reply.format.file, reply.message, reply.format.tensor) : new Error(reply.message));
  }

  private failAll(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }
}
