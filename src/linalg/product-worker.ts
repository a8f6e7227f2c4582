/** The product thread (product-thread.ts): its own TensorFlow.js WebAssembly backend, one product per message. */
import { parentPort, workerData } from "node:worker_threads";
import { matMulFloat32, useFastProducts } from "./matmul.js";
import { PRODUCT_DONE, PRODUCT_FAILED, type ProductJob, type ProductWorkerStart } from "./product-thread.js";

const control = new Int32Array((workerData as ProductWorkerStart).control);

const kernel = await useFastProducts();
parentPort!.on("message", (job: ProductJob) => {
  let status = PRODUCT_FAILED;
  try {
    const c = matMulFloat32(new Float32Array(job.a, 0, job.m * job.k), job.m, job.k, new Float32Array(job.b, 0, job.k * job.n), job.n);
    new Float32Array(job.c, 0, job.m * job.n).set(c);
    status = PRODUCT_DONE;
  } finally {
    Atomics.store(control, 0, status);
    Atomics.notify(control, 0);
  }
});
parentPort!.postMessage({ ready: kernel === "tfjs" });
