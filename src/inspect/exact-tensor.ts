/** One whole tensor's report totals (exact mode), shared by the main thread and the exact-mode workers. */
import type { ModelReader } from "../io/model-reader.js";
import type { VariableLayout } from "./layout.js";
import { pcbBlockTotals, type PcbSettings } from "./pcb-kernel.js";
import { tiesBlockTotals } from "./ties-kernel.js";
import { keepCount, trimThreshold } from "./trim.js";

/** δᵢ = mᵢ − base in float32, in place over the task buffers. */
export function subtractBase(base: Float32Array, tasks: Float32Array[]): Float32Array[] {
  for (const t of tasks) for (let e = 0; e < t.length; e++) t[e] = t[e]! - base[e]!;
  return tasks;
}

/** The task vectors of tensor `name` (readers: the base first), and the bytes read. */
export async function readWholeDeltas(readers: ModelReader[], name: string): Promise<{ deltas: Float32Array[]; bytes: number }> {
  const buffers = await Promise.all(readers.map((r) => r.readF32(name)));
  const bytes = readers.reduce((s, r) => s + r.tensor(name).byteLength, 0);
  return { deltas: subtractBase(buffers[0]!, buffers.slice(1)), bytes };
}

/** The totals of one whole tensor (layout.size values): its thresholds come from all its elements. */
export function exactTensorTotals(layout: VariableLayout, deltas: Float32Array[], density: number, pcb: PcbSettings | null): Float64Array {
  const numel = deltas[0]?.length ?? 0;
  const k = keepCount(numel, density);
  const rows = new Float64Array(layout.size);
  const thresholds = deltas.map((d) => trimThreshold(d, k));
  tiesBlockTotals(layout, deltas, [0, numel], thresholds, rows);
  if (pcb) pcbBlockTotals(layout, deltas, [0, numel], pcb, rows);
  return rows;
}
