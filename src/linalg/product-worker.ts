/** The product thread (product-thread.ts): its own float32 engine (matmul.ts), one product per message. */
import { parentPort, workerData } from "node:worker_threads";
import { float32Engine, matMulFloat32, useFastProducts } from "./matmul.js";
import { ELAPSED_AT, PRODUCT_DONE, PRODUCT_FAILED, type ProductJob, type ProductWorkerReady, type ProductWorkerStart } from "./product-thread.js";

const shared = (workerData as ProductWorkerStart).control;
const control = new Int32Array(shared, 0, 1);
/** Seconds the last job took here, which the caller balances its share of rows by. */
const elapsed = new Float64Array(shared, ELAPSED_AT, 1);

const kernel = await useFastProducts();
parentPort!.on("message", (job: ProductJob) => {
  let status = PRODUCT_FAILED;
  const started = performance.now();
  try {
    const c = matMulFloat32(new Float32Array(job.a, 0, job.m * job.k), job.m, job.k, new Float32Array(job.b, 0, job.k * job.n), job.n);
    new Float32Array(job.c, 0, job.m * job.n).set(c);
    status = PRODUCT_DONE;
  } finally {
    elapsed[0] = (performance.now() - started) / 1000;
    Atomics.store(control, 0, status);
    Atomics.notify(control, 0);
  }
});
const ready: ProductWorkerReady = { ready: kernel === "float32", engine: float32Engine() };
parentPort!.postMessage(ready);
