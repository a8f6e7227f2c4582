/** A worker thread of the CPU engine: takes ranges of the main thread's tasks on shared memory. */
import { parentPort, workerData } from "node:worker_threads";
import { adoptHeap } from "../../wasm/heap.js";
import type { WorkerStart } from "./worker-pool.js";
import { getKernel } from "../../methods/registry.js";
import { Scratch } from "../kernels/scratch.js";
import { HistogramBuffers } from "./histogram-parts.js";
import { type WorkerReply, type WorkerTask, chunkFromRef, decodeFromRef, f64FromShared, fromShared } from "./protocol.js";
import { applyClaims, countClaims, decodeClaims, encodeClaims } from "./range-work.js";

const start = workerData as WorkerStart | undefined;
if (start?.heap) adoptHeap(start.heap.memory, start.heap.scratch);

const scratch = new Scratch();
const series = new Scratch();
const hists = new HistogramBuffers();

function run(task: WorkerTask): WorkerReply {
  const decodes = task.decodes.map(decodeFromRef);
  if (task.kind === "decode") return { id: task.id, ok: true, elements: decodeClaims(decodes, task.claims) };
  if (task.kind === "encode") return { id: task.id, ok: true, elements: encodeClaims(task.dtype, fromShared(task.buf), task.claims) };
  const kernel = getKernel(task.kernel, task.backend);
  if (!kernel) return { id: task.id, ok: false, message: `no ${task.backend} kernel "${task.kernel}" in the worker` };
  const chunk = chunkFromRef(task.chunk);
  const ctx = { scratch, tensor: task.tensor };
  if (task.kind === "apply") {
    const elements = applyClaims(kernel, task.params, task.stats, chunk, fromShared(task.out), decodes, task.encode, task.claims, ctx);
    return { id: task.id, ok: true, elements };
  }
  const sums = task.sums ? f64FromShared(task.sums) : null;
  return { id: task.id, ok: true, ...countClaims(kernel, task.params, task.pass, chunk, decodes, task.claims, ctx, series, hists, sums) };
}

parentPort!.on("message", (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    reply = run(task);
  } catch (e) {
    reply = { id: task.id, ok: false, message: (e as Error).message };
  }
  const transfer: ArrayBuffer[] = [];
  if (reply.ok) {
    for (const h of reply.counts ?? []) if (h) transfer.push(h.bins.buffer as ArrayBuffer);
    for (const k of reply.kept ?? []) if (k) transfer.push(k.buffer as ArrayBuffer);
  }
  parentPort!.postMessage(reply, transfer);
});
