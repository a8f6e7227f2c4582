/** A product thread (product-thread.ts): its own TensorFlow.js WebAssembly backend, one band per message. */
import { parentPort, workerData } from "node:worker_threads";
import { matMulFloat32, useFastProducts } from "./matmul.js";
import { PRODUCT_DONE, PRODUCT_FAILED, type ProductJob, type ProductWorkerStart } from "./product-thread.js";

const { control: controlBuffer, slot } = workerData as ProductWorkerStart;
const control = new Int32Array(controlBuffer);

const kernel = await useFastProducts();
parentPort!.on("message", (job: ProductJob) => {
  let status = PRODUCT_FAILED;
  try {
    const a = new Float32Array(job.a, 4 * job.row0 * job.k, job.rows * job.k);
    const c = matMulFloat32(a, job.rows, job.k, new Float32Array(job.b, 0, job.k * job.n), job.n);
    new Float32Array(job.c, 4 * job.row0 * job.n, job.rows * job.n).set(c);
    status = PRODUCT_DONE;
  } finally {
    Atomics.store(control, slot, status);
    Atomics.notify(control, slot);
  }
});
parentPort!.postMessage({ ready: kernel === "tfjs" });
