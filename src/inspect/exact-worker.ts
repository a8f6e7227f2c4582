/** Worker thread of the exact-mode report: reads one tensor of every model and sums its totals. */
import { parentPort } from "node:worker_threads";
import { ModelFormatError } from "../io/errors.js";
import { readModelHeader } from "../io/model-header.js";
import { ModelReader } from "../io/model-reader.js";
import type { ExactJob, ExactReply } from "./exact-protocol.js";
import { exactTensorTotals, readWholeDeltas } from "./exact-tensor.js";
import { VariableLayout } from "./layout.js";

const readers = new Map<string, ModelReader>();
const reader = (path: string): ModelReader => {
  let r = readers.get(path);
  if (!r) readers.set(path, (r = new ModelReader(readModelHeader(path))));
  return r;
};

async function answer(job: ExactJob): Promise<ExactReply> {
  try {
    const { deltas, bytes } = await readWholeDeltas(job.paths.map(reader), job.tensor);
    const rows = exactTensorTotals(new VariableLayout(job.paths.length - 1, job.pcb !== null), deltas, job.density, job.pcb);
    return { id: job.id, ok: true, rows, bytes };
  } catch (e) {
    const format = e instanceof ModelFormatError ? { code: e.code, file: e.file, tensor: e.tensor } : null;
    return { id: job.id, ok: false, message: e instanceof Error ? e.message : String(e), format };
  }
}

parentPort!.on("message", (job: ExactJob) => {
  void answer(job).then((reply) => parentPort!.postMessage(reply, reply.ok ? [reply.rows.buffer] : []));
});
