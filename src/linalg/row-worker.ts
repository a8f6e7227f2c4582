/** The row thread (row-thread.ts): the eigen kernels on the caller's memory, one column's long rows per go. */
import { parentPort, workerData } from "node:worker_threads";
import { ROW_DETACH, ROW_DONE, ROW_FAILED, ROW_GO, ROW_IDLE, ROW_READY, type RowAttach, type RowWorkerStart } from "./row-thread.js";
import { float32LoopsOf, instanceOn } from "./symmetric-eigen.js";
import { matvecRows } from "./symmetric-matvec.js";

const k = new Int32Array((workerData as RowWorkerStart).control);

/** How long to poll for the next column before sleeping: a sleeping core of a VM takes ~0.1 ms to wake. */
const SPIN_MS = 0.3;

/** The control word once it says go or detach, or after SPIN_MS of polling. */
function awaitJob(): number {
  const until = performance.now() + SPIN_MS;
  for (;;) {
    for (let i = 0; i < 256; i++) {
      const state = Atomics.load(k, 0);
      if (state === ROW_GO || state === ROW_DETACH) return state;
    }
    if (performance.now() > until) return Atomics.load(k, 0);
  }
}

function serve(job: RowAttach): void {
  const loops = float32LoopsOf(instanceOn(job.wasm), job.wasm, job.size);
  Atomics.store(k, 0, ROW_READY);
  Atomics.notify(k, 0);
  for (;;) {
    let state = awaitJob();
    while (state !== ROW_GO && state !== ROW_DETACH) {
      Atomics.wait(k, 0, state);
      state = Atomics.load(k, 0);
    }
    if (state === ROW_DETACH) break;
    let done = ROW_FAILED;
    try {
      matvecRows(loops, { a: k[1]!, n: k[2]!, j: k[3]!, v: k[4]!, w: k[5]!, into: k[6]! }, k[7]!, k[8]!);
      done = ROW_DONE;
    } finally {
      Atomics.store(k, 0, done);
      Atomics.notify(k, 0);
    }
  }
  Atomics.store(k, 0, ROW_IDLE);
  Atomics.notify(k, 0);
}

parentPort!.on("message", (job: RowAttach) => {
  try {
    serve(job);
  } catch {
    Atomics.store(k, 0, ROW_FAILED);
    Atomics.notify(k, 0);
  }
});
parentPort!.postMessage({ ready: true });
