/** Runs jobs in a worker thread, started on first use and again after it dies. */
import { Worker } from "node:worker_threads";
import type { FromWorker, Job, JobProgress, JobResult, ToWorker } from "./protocol.js";

export interface JobOptions {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  onText?: (text: string) => void;
}

/** A job that failed: `cancelled` when it stopped because it was asked to. */
export class JobError extends Error {
  override readonly name = "JobError";
  constructor(
    message: string,
    readonly cancelled: boolean,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (r: JobResult) => void;
  reject: (e: JobError) => void;
  options: JobOptions;
}

export interface JobRunnerOptions {
  /** After a cancel, stop the whole worker if the job has not stopped within this time (ms). */
  hardCancelAfterMs?: number;
}

export class JobRunner {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly script: string,
    private readonly options: JobRunnerOptions = {},
  ) {}

  get busy(): boolean {
    return this.pending.size > 0;
  }

  run(job: Job, options: JobOptions = {}): Promise<JobResult> {
    if (options.signal?.aborted) return Promise.reject(new JobError("cancelled", true));
    const id = this.nextId++;
    const worker = this.ensureWorker();
    return new Promise<JobResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, options });
      options.signal?.addEventListener("abort", () => this.cancel(id), { once: true });
      worker.postMessage({ type: "start", id, job } satisfies ToWorker);
    });
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failAll("the language server is shutting down", true);
    if (w) await w.terminate();
  }

  private cancel(id: number): void {
    if (!this.pending.has(id) || !this.worker) return;
    this.worker.postMessage({ type: "abort", id } satisfies ToWorker);
    const after = this.options.hardCancelAfterMs;
    if (after === undefined) return;
    const worker = this.worker;
    setTimeout(() => {
      if (!this.pending.has(id) || this.worker !== worker) return;
      this.worker = null;
      this.failAll("cancelled", true);
      void worker.terminate();
    }, after).unref();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: { role: "jobs" } });
    worker.unref();
    worker.on("message", (m: FromWorker) => this.receive(m));
    worker.on("error", (e) => {
      if (this.worker === worker) this.worker = null;
      this.failAll(`the job worker failed: ${e.message}`, false);
    });
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(`the job worker stopped (exit code ${code})`, false);
    });
    this.worker = worker;
    return worker;
  }

  private receive(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case "progress":
        p.options.onProgress?.(m.progress);
        return;
      case "text":
        p.options.onText?.(m.text);
        return;
      case "done":
        this.pending.delete(m.id);
        p.resolve(m.result);
        return;
      case "failed":
        this.pending.delete(m.id);
        p.reject(new JobError(m.message, m.cancelled));
        return;
    }
  }

  private failAll(message: string, cancelled: boolean): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new JobError(message, cancelled));
  }
}
