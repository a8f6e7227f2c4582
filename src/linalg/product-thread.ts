/**
 * Threads for the large matrix products of the spectral methods. TensorFlow.js's WebAssembly backend
 * runs each product on one thread in Node, and a 4096² task matrix costs a dozen 4096³ products
 * plus those inside its eigendecompositions, while the engine's worker threads wait (the spectral
 * kernels take whole tensors on the main thread). A product of at least SPLIT_MIN_VOLUME
 * multiply-adds is cut into bands of rows: each product thread (its own TensorFlow.js WebAssembly
 * backend, operands in shared memory) takes one, the caller computes the last meanwhile, and then
 * blocks (Atomics.wait) until all are done, so `multiply` stays synchronous. Each row of the result
 * is the same dot products in the same order whichever thread computes it (tested), so the result
 * does not depend on the number of threads.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread } from "node:worker_threads";

/** Products below this many multiply-adds stay on one thread (the hand-over costs about a millisecond). */
export const SPLIT_MIN_VOLUME = 1 << 25;
/** A band is at least half that: smaller products are cut into fewer bands than there are threads. */
const BAND_MIN_VOLUME = SPLIT_MIN_VOLUME >> 1;
/**
 * Product threads by default: one per core beyond the caller's, at most this many. Each keeps its
 * own WebAssembly heap, which holds the whole right operand (64 MB for a 4096² float32 matrix).
 */
export const DEFAULT_MAX_PRODUCT_THREADS = 7;

/** Values of a thread's control word: its band under way, done, or failed (the caller then does it). */
const BUSY = 0;
export const PRODUCT_DONE = 1;
export const PRODUCT_FAILED = 2;

/** One band of a product: rows [row0, row0 + rows) of a (m×k, shared) times b (k×n), into c. */
export interface ProductJob {
  a: SharedArrayBuffer;
  b: SharedArrayBuffer;
  c: SharedArrayBuffer;
  row0: number;
  rows: number;
  k: number;
  n: number;
}

export interface ProductWorkerStart {
  control: SharedArrayBuffer;
  slot: number;
}

const WORKER_URL = new URL("./product-worker.js", import.meta.url);

/**
 * How many product threads to start here: MERGELANG_PRODUCT_THREADS when set (0: none), else one per
 * core beyond the caller's up to DEFAULT_MAX_PRODUCT_THREADS; none off the main thread, with
 * MERGELANG_PRODUCT_THREAD=0, or without the worker script (a bundled build).
 */
export function productThreadCount(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  if (!isMainThread || env["MERGELANG_PRODUCT_THREAD"] === "0" || !existsSync(fileURLToPath(WORKER_URL))) return 0;
  const asked = env["MERGELANG_PRODUCT_THREADS"];
  if (asked !== undefined && asked.trim() !== "") {
    const count = Number(asked);
    if (!Number.isInteger(count) || count < 0) throw new Error(`MERGELANG_PRODUCT_THREADS must be a whole number of threads (0 for none), not "${asked}"`);
    return count;
  }
  return Math.max(0, Math.min(cores - 1, DEFAULT_MAX_PRODUCT_THREADS));
}

type Own = (a: Float32Array, m: number, k: number, b: Float32Array, n: number) => Float32Array;

export class ProductThreads {
  private a = new SharedArrayBuffer(0);
  private b = new SharedArrayBuffer(0);
  private c = new SharedArrayBuffer(0);
  /** Threads that failed a band: no more bands go to them. */
  private readonly broken = new Set<number>();

  private constructor(
    /** By control slot; null where a thread did not start. */
    private readonly workers: (Worker | null)[],
    private readonly control: Int32Array,
  ) {}

  /** `count` started threads with their backends ready (fewer if some cannot start), or null for none. */
  static async start(count: number): Promise<ProductThreads | null> {
    if (count < 1) return null;
    const control = new SharedArrayBuffer(4 * count);
    const started = await Promise.all(
      Array.from({ length: count }, async (_, slot): Promise<Worker | null> => {
        const start: ProductWorkerStart = { control, slot };
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
        return worker;
      }),
    );
    const threads = new ProductThreads(started, new Int32Array(control));
    started.forEach((w, slot) => w === null && threads.broken.add(slot));
    return threads.size > 0 ? threads : null;
  }

  /** Threads that take bands. */
  get size(): number {
    return this.workers.length - this.broken.size;
  }

  /** Whether a product of this shape is worth splitting. */
  wants(m: number, k: number, n: number): boolean {
    return this.size > 0 && m >= 2 && m * k * n >= SPLIT_MIN_VOLUME;
  }

  /**
   * a (m×k)·b (k×n), float32 row-major: bands of rows on the threads, the last band by `own` (the
   * caller's product of the same kind) meanwhile. A band whose thread fails is redone by `own`, and
   * that thread takes no more.
   */
  multiply(a: Float32Array, m: number, k: number, b: Float32Array, n: number, own: Own): Float32Array {
    const slots = [...this.workers.keys()].filter((s) => !this.broken.has(s));
    const bands = Math.max(2, Math.min(slots.length + 1, m, Math.floor((m * k * n) / BAND_MIN_VOLUME)));
    const starts = Array.from({ length: bands + 1 }, (_, i) => Math.round((i * m) / bands));
    const shared = starts[bands - 1]!;
    this.room("a", shared * k).set(a.subarray(0, shared * k));
    this.room("b", k * n).set(b.subarray(0, k * n));
    const c = this.room("c", shared * n);
    const sent = slots.slice(0, bands - 1);
    sent.forEach((slot, i) => {
      Atomics.store(this.control, slot, BUSY);
      const job: ProductJob = { a: this.a, b: this.b, c: this.c, row0: starts[i]!, rows: starts[i + 1]! - starts[i]!, k, n };
      this.workers[slot]!.postMessage(job);
    });
    const last = own(a.subarray(shared * k, m * k), m - shared, k, b, n);
    const out = new Float32Array(m * n);
    sent.forEach((slot, i) => {
      Atomics.wait(this.control, slot, BUSY);
      const [r0, r1] = [starts[i]!, starts[i + 1]!];
      if (Atomics.load(this.control, slot) === PRODUCT_DONE) out.set(c.subarray(r0 * n, r1 * n), r0 * n);
      else {
        this.broken.add(slot);
        out.set(own(a.subarray(r0 * k, r1 * k), r1 - r0, k, b, n), r0 * n);
      }
    });
    out.set(last, shared * n);
    return out;
  }

  /** A float32 view of at least `length` elements of shared buffer `which`, grown when needed. */
  private room(which: "a" | "b" | "c", length: number): Float32Array {
    if (this[which].byteLength < 4 * length) this[which] = new SharedArrayBuffer(4 * length);
    return new Float32Array(this[which], 0, length);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w?.terminate()));
  }
}
