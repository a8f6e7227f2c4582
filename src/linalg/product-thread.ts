/**
 * A second thread for the large matrix products of the spectral methods. The float32 engines
 * (matmul.ts) run each product on one thread, and a 4096² task matrix costs a dozen 4096³
 * products plus those inside its eigendecompositions, while the engine's worker threads wait (the
 * spectral kernels take whole tensors on the main thread). A product at least SPLIT_MIN_VOLUME
 * multiply-adds is cut by rows: the top rows go to this thread (its own float32 engine, the same
 * kind as the caller's, operands in shared memory), the rest are computed on the caller's meanwhile, and the
 * caller blocks (Atomics.wait) until both are done, so `multiply` stays synchronous. Each row of the
 * result is the same dot products in the same order whichever thread computes it (tested).
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread } from "node:worker_threads";

/** Products below this many multiply-adds stay on one thread (the hand-over costs about a millisecond). */
export const SPLIT_MIN_VOLUME = 1 << 25;

/** Values of the control word: the job under way, done, or failed (the caller then does it all). */
const IDLE = 0;
export const PRODUCT_DONE = 1;
export const PRODUCT_FAILED = 2;

export interface ProductJob {
  a: SharedArrayBuffer;
  b: SharedArrayBuffer;
  c: SharedArrayBuffer;
  m: number;
  k: number;
  n: number;
}

/** control: the control word (Int32 at byte 0) and the last job's seconds (Float64 at byte 8). */
export interface ProductWorkerStart {
  control: SharedArrayBuffer;
}

/** Byte offset of the seconds the thread took for its last job, in the control buffer. */
export const ELAPSED_AT = 8;

/** The worker's first message: whether it can multiply, and on which float32 engine. */
export interface ProductWorkerReady {
  ready: boolean;
  engine: string | null;
}

const WORKER_URL = new URL("./product-worker.js", import.meta.url);

/** Whether a product thread may start here: the main thread of a multi-core machine, not turned off. */
export function productThreadWanted(): boolean {
  return isMainThread && availableParallelism() > 1 && process.env["MERGELANG_PRODUCT_THREAD"] !== "0" && existsSync(fileURLToPath(WORKER_URL));
}

export class ProductThread {
  private a = new SharedArrayBuffer(0);
  private b = new SharedArrayBuffer(0);
  private c = new SharedArrayBuffer(0);
  private broken = false;
  /** The thread's share of the rows, adjusted to the two threads' measured speeds (see `rebalance`). */
  private share = 0.5;

  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly elapsed: Float64Array,
    /** The thread's float32 engine: products are split only when the caller's is the same (same bits). */
    readonly engine: string | null,
  ) {}

  /** A started thread with its backend ready, or null when it cannot start. */
  static async start(): Promise<ProductThread | null> {
    if (!productThreadWanted()) return null;
    const control = new SharedArrayBuffer(ELAPSED_AT + 8);
    const start: ProductWorkerStart = { control };
    const worker = new Worker(WORKER_URL, { workerData: start });
    const ready = await new Promise<ProductWorkerReady | null>((resolve) => {
      worker.once("message", (m: ProductWorkerReady) => resolve(m.ready === true ? m : null));
      worker.once("error", () => resolve(null));
      worker.once("exit", () => resolve(null));
    });
    if (ready === null) {
      void worker.terminate();
      return null;
    }
    worker.unref();
    return new ProductThread(worker, new Int32Array(control, 0, 1), new Float64Array(control, ELAPSED_AT, 1), ready.engine);
  }

  /** Whether a product of this shape is worth splitting. */
  wants(m: number, k: number, n: number): boolean {
    return !this.broken && m >= 2 && m * k * n >= SPLIT_MIN_VOLUME;
  }

  /**
   * a (m×k)·b (k×n), float32 row-major, the first rows (about half, see `rebalance`) on the thread
   * and the rest by `own` (the caller's product of the same kind) meanwhile. Falls back to `own` for all of it if the
   * thread fails, and then stops using the thread.
   */
  multiply(a: Float32Array, m: number, k: number, b: Float32Array, n: number, own: (a: Float32Array, m: number, k: number, b: Float32Array, n: number) => Float32Array): Float32Array {
    const top = Math.max(1, Math.min(m - 1, Math.round(m * this.share)));
    const a0 = this.room("a", top * k);
    const b0 = this.room("b", k * n);
    const c0 = this.room("c", top * n);
    a0.set(a.subarray(0, top * k));
    b0.set(b.subarray(0, k * n));
    Atomics.store(this.control, 0, IDLE);
    const job: ProductJob = { a: this.a, b: this.b, c: this.c, m: top, k, n };
    this.worker.postMessage(job);
    const started = performance.now();
    const bottom = own(a.subarray(top * k, m * k), m - top, k, b, n);
    const ownSeconds = (performance.now() - started) / 1000;
    Atomics.wait(this.control, 0, IDLE);
    const out = new Float32Array(m * n);
    if (Atomics.load(this.control, 0) === PRODUCT_DONE) {
      out.set(c0.subarray(0, top * n));
      this.rebalance(top, m - top, this.elapsed[0]!, ownSeconds);
    } else {
      this.broken = true;
      out.set(own(a.subarray(0, top * k), top, k, b, n));
    }
    out.set(bottom, top * n);
    return out;
  }

  /**
   * Moves the share of rows toward equal finishing times: the two threads need not run at the same
   * speed (measured here: the product thread took 12 % longer for the same rows, and the caller
   * waited). Which rows go where does not change any bits. Products under 20 ms are too noisy to count.
   */
  private rebalance(topRows: number, ownRows: number, threadSeconds: number, ownSeconds: number): void {
    if (threadSeconds < 0.02 || ownSeconds < 0.02) return;
    const threadPerRow = threadSeconds / topRows;
    const ownPerRow = ownSeconds / ownRows;
    const balanced = ownPerRow / (threadPerRow + ownPerRow);
    this.share = Math.min(0.7, Math.max(0.3, 0.5 * this.share + 0.5 * balanced));
  }

  /** A float32 view of at least `length` elements of shared buffer `which`, grown when needed. */
  private room(which: "a" | "b" | "c", length: number): Float32Array {
    if (this[which].byteLength < 4 * length) this[which] = new SharedArrayBuffer(4 * length);
    return new Float32Array(this[which], 0, length);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
