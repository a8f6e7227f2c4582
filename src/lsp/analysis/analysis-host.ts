/**
 * The language server's handle on its analysis worker: forwards document texts and asks queries.
 * Checks take tens of milliseconds on long recipes; in the worker they never delay completion or
 * the next keystroke. If the worker dies, a new one starts with the documents' latest texts.
 */
import { Worker } from "node:worker_threads";
import { ResponseError } from "vscode-languageserver/node";
import type { FromAnalysis, QueryKind, QueryMap, ToAnalysis } from "./queries.js";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class AnalysisHost {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly texts = new Map<string, { version: number; text: string }>();
  private disposed = false;
  /** Start times of recent workers: a worker that keeps dying is not restarted forever. */
  private readonly starts: number[] = [];

  constructor(
    private readonly script: string,
    private readonly root: () => string,
    private readonly log: (message: string) => void,
  ) {}

  update(uri: string, version: number, text: string): void {
    this.texts.set(uri, { version, text });
    this.trySend({ type: "update", uri, version, text });
  }

  close(uri: string): void {
    this.texts.delete(uri);
    this.trySend({ type: "close", uri });
  }

  modelsChanged(): void {
    this.trySend({ type: "models-changed" });
  }

  private trySend(message: ToAnalysis): void {
    try {
      this.send(message);
    } catch (e) {
      this.log(`mergelang: ${(e as Error).message}`);
    }
  }

  query<K extends QueryKind>(kind: K, uri: string, params: QueryMap[K]["params"]): Promise<QueryMap[K]["result"]> {
    if (this.disposed) return Promise.reject(new Error("the language server is shutting down"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.send({ type: "query", id, kind, uri, params });
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = null;
    this.failAll("the language server is shutting down");
    if (w) await w.terminate();
  }

  private send(message: ToAnalysis): void {
    if (this.disposed) return;
    this.ensureWorker().postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const now = Date.now();
    while (this.starts.length && now - this.starts[0]! > 60_000) this.starts.shift();
    if (this.starts.length >= 5) throw new Error("the analysis worker keeps stopping; see the server log");
    this.starts.push(now);
    const worker = new Worker(this.script, { workerData: { role: "analysis", root: this.root() } });
    worker.unref();
    worker.on("message", (m: FromAnalysis) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === "result") p.resolve(m.result);
      else p.reject(m.code !== undefined ? new ResponseError(m.code, m.message) : new Error(m.message));
    });
    const died = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(`the analysis worker stopped: ${why}`);
      if (this.disposed) return;
      this.log(`mergelang: the analysis worker stopped (${why}); starting a new one`);
      // Replay the open documents so that the next query finds them.
      try {
        for (const [uri, t] of this.texts) this.send({ type: "update", uri, version: t.version, text: t.text });
      } catch (e) {
        this.log(`mergelang: ${(e as Error).message}`);
      }
    };
    worker.on("error", (e) => died(e.message));
    worker.on("exit", (code) => died(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private failAll(message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new Error(message));
  }
}
