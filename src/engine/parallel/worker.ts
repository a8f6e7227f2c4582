/** A worker thread of the CPU engine: runs kernel ranges on shared memory for the main thread. */
import { parentPort } from "node:worker_threads";
import { getKernel } from "../../methods/registry.js";
import { Scratch } from "../kernels/scratch.js";
import { type WorkerReply, type WorkerTask, chunkFromRef, fromShared } from "./protocol.js";
import { applyRange, countRange } from "./range-work.js";

const scratch = new Scratch();
const series = new Scratch();

function run(task: WorkerTask): WorkerReply {
  const kernel = getKernel(task.kernel, task.backend);
  if (!kernel) return { id: task.id, ok: false, message: `no ${task.backend} kernel "${task.kernel}" in the worker` };
  const chunk = chunkFromRef(task.chunk);
  const ctx = { scratch, tensor: task.tensor };
  if (task.kind === "apply") {
    applyRange(kernel, task.params, task.stats, chunk, fromShared(task.out), task.start, task.end, ctx);
    return { id: task.id, ok: true };
  }
  const counts = countRange(kernel, task.params, task.pass, chunk, task.start, task.end, ctx, series);
  return { id: task.id, ok: true, counts };
}

parentPort!.on("message", (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    reply = run(task);
  } catch (e) {
    reply = { id: task.id, ok: false, message: (e as Error).message };
  }
  const transfer = reply.ok && reply.counts ? reply.counts.filter((h): h is Float64Array => h !== null).map((h) => h.buffer as ArrayBuffer) : [];
  parentPort!.postMessage(reply, transfer);
});
