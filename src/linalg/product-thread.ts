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
import { MessageChannel, type MessagePort, Worker, isMainThread, receiveMessageOnPort } from "node:worker_threads";

/** Products below this many multiply-adds stay on one thread (the hand-over costs about a millisecond). */
export const SPLIT_MIN_VOLUME = 1 << 25;

/** Values of the control word: the job under way, done, or failed (the caller then does it all). */
const IDLE = 0;
export const PRODUCT_DONE = 1;
export const PRODUCT_FAILED = 2;

/** a (m×k)·b (k×n) into c, each a shared buffer and the byte offset of its first element. */
export interface ProductJob {
  a: SharedArrayBuffer;
  aAt: number;
  b: SharedArrayBuffer;
  bAt: number;
  c: SharedArrayBuffer;
  cAt: number;
  m: number;
  k: number;
  n: number;
  /** c += a·b instead of c = a·b */
  accumulate: boolean;
}

/** An operand as the thread sees it: its own shared buffer where it has one (no copy), else a copy in `room`. */
interface Shared {
  buffer: SharedArrayBuffer;
  at: number;
}

/** The own-thread product the split calls: rows of a times b, into `out`. */
export type OwnProduct = (a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array) => Float32Array;

/** control: the control word (Int32 at byte 0) and the last job's seconds (Float64 at byte 8); replies: where a task's result goes. */
export interface ProductWorkerStart {
  control: SharedArrayBuffer;
  replies: MessagePort;
}

/** A whole computation for the thread (side-by-side.ts), answered on the replies port. */
export interface TaskJob {
  task: unknown;
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
  private broken = false;
  /** A task runs on the thread: products are not split meanwhile. */
  private busy = false;
  /** The thread's share of the rows, adjusted to the two threads' measured speeds (see `rebalance`). */
  private share = 0.5;

  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly elapsed: Float64Array,
    private readonly replies: MessagePort,
    /** The thread's float32 engine: products are split only when the caller's is the same (same bits). */
    readonly engine: string | null,
  ) {}

  /** A started thread with its backend ready, or null when it cannot start. */
  static async start(): Promise<ProductThread | null> {
    if (!productThreadWanted()) return null;
    const control = new SharedArrayBuffer(ELAPSED_AT + 8);
    const channel = new MessageChannel();
    const start: ProductWorkerStart = { control, replies: channel.port2 };
    const worker = new Worker(WORKER_URL, { workerData: start, transferList: [channel.port2] });
    const ready = await new Promise<ProductWorkerReady | null>((resolve) => {
      worker.once("message", (m: ProductWorkerReady) => resolve(m.ready === true ? m : null));
      worker.once("error", () => resolve(null));
      worker.once("exit", () => resolve(null));
    });
    if (ready === null) {
      void worker.terminate();
      channel.port1.close();
      return null;
    }
    worker.unref();
    channel.port1.unref();
    return new ProductThread(worker, new Int32Array(control, 0, 1), new Float64Array(control, ELAPSED_AT, 1), channel.port1, ready.engine);
  }

  /** Whether a product of this shape is worth splitting. */
  wants(m: number, k: number, n: number): boolean {
    return !this.broken && !this.busy && m >= 2 && m * k * n >= SPLIT_MIN_VOLUME;
  }

  /** Whether a task can start (the thread is neither failed nor busy). */
  get free(): boolean {
    return !this.broken && !this.busy;
  }

  /**
   * Starts a task (side-by-side.ts) on the thread, which answers it with `finishTask`; products
   * are not split until then.
   */
  startTask(task: unknown): void {
    if (!this.free) throw new Error("the product thread is busy");
    this.busy = true;
    Atomics.store(this.control, 0, IDLE);
    const job: TaskJob = { task };
    this.worker.postMessage(job);
  }

  /** The started task's reply, or null when the thread failed it (the caller then runs it itself). */
  finishTask(): unknown {
    try {
      Atomics.wait(this.control, 0, IDLE);
      if (Atomics.load(this.control, 0) !== PRODUCT_DONE) return null;
      // The reply is posted before the control word is set; the port may take a moment to show it.
      for (let tries = 0; tries < 1000; tries++) {
        const got = receiveMessageOnPort(this.replies);
        if (got !== undefined) return got.message as unknown;
        Atomics.wait(this.control, 0, PRODUCT_DONE, 1);
      }
      this.broken = true;
      return null;
    } finally {
      this.busy = false;
    }
  }

  /**
   * a (m×k)·b (k×n), float32 row-major, the first rows (about half, see `rebalance`) on the thread
   * and the rest by `own` (the caller's product of the same kind) meanwhile. Both write straight
   * into the result, which lies in shared memory, and operands already there are not copied
   * (a 4096×256·256×4096 product spent a fifth of its time copying). Falls back to `own` for all
   * of it if the thread fails, and then stops using the thread.
   */
  multiply(a: Float32Array, m: number, k: number, b: Float32Array, n: number, own: OwnProduct, addTo?: Float32Array): Float32Array {
    const top = Math.max(1, Math.min(m - 1, Math.round(m * this.share)));
    // With addTo (in shared memory: matMulSubtractFloat32) both threads add into its rows. A
    // failed thread never wrote them (the kernel writes its rows once, at the end), so the caller
    // can still do them.
    const out = addTo ?? new Float32Array(new SharedArrayBuffer(4 * m * n));
    const x = this.shared("a", a, top * k);
    const y = this.shared("b", b, k * n);
    Atomics.store(this.control, 0, IDLE);
    const c = out.buffer as SharedArrayBuffer;
    const job: ProductJob = { a: x.buffer, aAt: x.at, b: y.buffer, bAt: y.at, c, cAt: out.byteOffset, m: top, k, n, accumulate: addTo !== undefined };
    this.worker.postMessage(job);
    const started = performance.now();
    own(a.subarray(top * k, m * k), m - top, k, b, n, out.subarray(top * n));
    const ownSeconds = (performance.now() - started) / 1000;
    Atomics.wait(this.control, 0, IDLE);
    if (Atomics.load(this.control, 0) === PRODUCT_DONE) this.rebalance(top, m - top, this.elapsed[0]!, ownSeconds);
    else {
      this.broken = true;
      own(a.subarray(0, top * k), top, k, b, n, out.subarray(0, top * n));
    }
    return out;
  }

  /** The first `length` elements of v where the thread can read them: v's own shared buffer, or a copy in `room`. */
  private shared(which: "a" | "b", v: Float32Array, length: number): Shared {
    if (v.buffer instanceof SharedArrayBuffer) return { buffer: v.buffer, at: v.byteOffset };
    const copy = this.room(which, length);
    copy.set(v.subarray(0, length));
    return { buffer: this[which], at: 0 };
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
  private room(which: "a" | "b", length: number): Float32Array {
    if (this[which].byteLength < 4 * length) this[which] = new SharedArrayBuffer(4 * length);
    return new Float32Array(this[which], 0, length);
  }

  async close(): Promise<void> {
    this.replies.close();
    await this.worker.terminate();
  }
}
