/**
 * The product thread (product-thread.ts): its own float32 engine (matmul.ts), one product per
 * message, or one whole task (side-by-side.ts) answered on the replies port.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { float32Engine, matMulHere, useFastProducts } from "./matmul.js";
import { ELAPSED_AT, PRODUCT_DONE, PRODUCT_FAILED, type ProductJob, type ProductWorkerReady, type ProductWorkerStart, type TaskJob } from "./product-thread.js";
import { type ThreadTask, runThreadTask } from "./thread-tasks.js";

const start = workerData as ProductWorkerStart;
const control = new Int32Array(start.control, 0, 1);
/** Seconds the last job took here, which the caller balances its share of rows by. */
const elapsed = new Float64Array(start.control, ELAPSED_AT, 1);

function product({ a, aAt, b, bAt, c, cAt, m, k, n, accumulate }: ProductJob): void {
  matMulHere(new Float32Array(a, aAt, m * k), m, k, new Float32Array(b, bAt, k * n), n, new Float32Array(c, cAt, m * n), accumulate);
}

function task(job: TaskJob): void {
  const { reply, transfer } = runThreadTask(job.task as ThreadTask);
  start.replies.postMessage(reply, transfer);
}

/**
 * This thread's garbage collector. A caller's buffer a job brought (a result the caller already
 * holds, an operand in shared memory, a task's matrix) stays alive here until this thread
 * collects, and an idle thread does not: over a 160M merge that kept hundreds of MB alive. So the
 * thread collects after each task, and after products once the buffers they referenced (the
 * thread's own operand copies counted too) come to 256 MB: a young-generation pass, well under a
 * millisecond.
 */
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as ((options?: { type: "minor" | "major" }) => void) | undefined;
const COLLECT_AFTER_BYTES = 256 << 20;
let brought = 0;

const kernel = await useFastProducts();
parentPort!.on("message", (job: ProductJob | TaskJob) => {
  let status = PRODUCT_FAILED;
  const started = performance.now();
  try {
    if ("task" in job) task(job);
    else product(job);
    status = PRODUCT_DONE;
  } catch {
    // Reported through the control word: the caller then does the work itself.
  } finally {
    elapsed[0] = (performance.now() - started) / 1000;
    Atomics.store(control, 0, status);
    Atomics.notify(control, 0);
  }
  // After answering: the caller need not wait for it.
  if ("task" in job) collect?.();
  else if ((brought += job.a.byteLength + job.b.byteLength + job.c.byteLength) >= COLLECT_AFTER_BYTES) {
    brought = 0;
    collect?.({ type: "minor" });
  }
});
const ready: ProductWorkerReady = { ready: kernel === "float32", engine: float32Engine() };
parentPort!.postMessage(ready);
