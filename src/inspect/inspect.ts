/**
 * `interference(m..., base, density, by)`: streams the models tensor by tensor (one tensor's deltas
 * in memory at a time), sums each tensor's TIES (and optionally PCB) totals into its group, and turns
 * the sums into a report. Exact mode reads every element; sampled mode reads a fixed, seeded set of
 * blocks per tensor with ranged reads and gives each metric a confidence interval.
 */
import { availableParallelism } from "node:os";
import { basename, dirname } from "node:path";
import { dtypeSize, isFloatDType } from "../io/dtype.js";
import type { HeaderCache } from "../io/header-cache.js";
import { type ModelHeader, type TensorHeader, readModelHeader, SINGLE_FILE } from "../io/model-header.js";
import { ModelReader } from "../io/model-reader.js";
import { InterferenceInputError } from "./errors.js";
import { ExactPool } from "./exact-pool.js";
import { exactTensorTotals, readWholeDeltas, subtractBase } from "./exact-tensor.js";
import { compareGroups, type GroupBy, type GroupId, groupOf } from "./groups.js";
import { VariableLayout } from "./layout.js";
import { groupMetrics } from "./metrics.js";
import { pcbBlockTotals, type PcbSettings } from "./pcb-kernel.js";
import type { GroupMetrics, Report, ReportGroup } from "./report.js";
import { type SpectralTotals, addSpectral, deltaMatrices, emptySpectral, spectralTotals } from "./spectral.js";
import { isSpectralMatrix } from "../methods/shared/spectral.js";
import { useFastProducts } from "../linalg/index.js";
import { DEFAULT_SAMPLE_ELEMENTS, planSample, sampleBounds, sampleRuns, type TensorSample } from "./sample-plan.js";
import { linearisedRows, sampleThresholds, thresholdError } from "./threshold-error.js";
import { tiesBlockTotals } from "./ties-kernel.js";
import { Totals } from "./totals.js";
import { keepCount, sampledKeepCount } from "./trim.js";

export interface InterferenceProgress {
  /** Tensors finished, of `total`. */
  done: number;
  total: number;
  tensor: string;
}

export interface InterferenceOptions {
  /** Fine-tuned model folders (or .safetensors files). */
  models: string[];
  base: string;
  /** TIES trimming density (default 0.2). */
  density?: number;
  by?: GroupBy;
  /** "exact" reads every element (default); "sampled" reads a seeded subset and gives intervals. */
  mode?: "exact" | "sampled";
  /** Seed of the sample (default 0). */
  seed?: number;
  /** Elements read per model in sampled mode (default 2,000,000). */
  sampleElements?: number;
  /** Confidence level of sampled intervals (default 0.95). */
  confidence?: number;
  /** One label per model (default: folder names). */
  labels?: string[];
  /** Adds PCB's balancing view (spec §6, per tensor): ratio default 0.1, clip default 0.0001. */
  pcb?: { ratio?: number; clip?: number } | null;
  /**
   * Adds the spectral interference of the 2-D tensors (spectral.ts): exact mode at TSV's rank share,
   * sampled mode fast (top 16, randomized SVD). Reads those tensors whole.
   */
  spectral?: boolean;
  /** Worker threads of exact mode (default: one per core; 1 works on the calling thread). */
  threads?: number;
  /** Reuses parsed headers across calls (the editor asks on every save). */
  headers?: HeaderCache;
  signal?: AbortSignal;
  onProgress?: (p: InterferenceProgress) => void;
}

interface GroupState {
  id: GroupId;
  position: number;
  totals: Totals;
}

export async function inspectInterference(options: InterferenceOptions): Promise<Report> {
  const started = performance.now();
  const settings = checkOptions(options);
  const { models, density, by, mode } = settings;
  const load = (p: string): ModelHeader => (options.headers ? options.headers.get(p) : readModelHeader(p));
  const baseHeader = load(options.base);
  const modelHeaders = models.map(load);
  const { tensors, skipped } = matchTensors(baseHeader, modelHeaders);

  const layout = new VariableLayout(models.length, settings.pcb !== null);
  const sampled = mode === "sampled";
  const plans = sampled
    ? planSample(tensors.map((t) => ({ name: t.name, numel: t.numel })), { elements: settings.sampleElements, seed: settings.seed })
    : null;
  const groups = new Map<string, GroupState>();
  const groupAt = (t: number): GroupState => {
    const id = groupOf(tensors[t]!.name, by);
    let group = groups.get(id.key);
    if (!group) {
      group = { id, position: t, totals: new Totals(layout, sampled) };
      groups.set(id.key, group);
    }
    return group;
  };
  let bytesRead = 0;
  const pool = sampled ? null : ExactPool.create(options.threads ?? availableParallelism());
  if (pool) {
    try {
      bytesRead = await exactOnWorkers(pool, [options.base, ...models], tensors, settings, groupAt, options);
    } finally {
      await pool.close();
    }
  }
  const readers = pool ? [] : [baseHeader, ...modelHeaders].map((h) => new ModelReader(h));
  const samplePool: Float32Array[] = [];
  try {
    for (let t = 0; t < (pool ? 0 : tensors.length); t++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const tensor = tensors[t]!;
      const group = groupAt(t);
      const plan = plans?.[t];
      const { deltas, bounds, bytes } = plan && plan.population > 1
        ? readSample(readers, plan, samplePool)
        : await readWhole(readers, tensor.name, tensor.numel);
      bytesRead += bytes;
      addTensor(group.totals, layout, deltas, bounds, tensor.numel, plan && plan.population > 1 ? plan : null, density, settings.pcb);
      options.onProgress?.({ done: t + 1, total: tensors.length, tensor: tensor.name });
      // Let the event loop run (abort signals, progress rendering) between tensors.
      if (!sampled) await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    for (const r of readers) r.close();
  }

  const spectral = settings.spectral ? await spectralPass([options.base, ...models], tensors, by, !sampled, options) : null;
  if (spectral) bytesRead += spectral.bytes;

  const ordered = [...groups.values()].sort((a, b) => compareGroups(a.id, b.id, (g) => groups.get(g.key)!.position));
  const total = new Totals(layout, sampled);
  for (const g of ordered) total.add(g.totals);
  const reportGroups: ReportGroup[] = ordered.map((g) => ({
    key: g.id.key,
    label: g.id.label,
    kind: g.id.kind,
    layer: g.id.layer,
    metrics: { ...groupMetrics(g.totals, settings.confidence), ...(spectral ? spectralMetrics(spectral.groups.get(g.id.key)) : {}) },
  }));
  return {
    format: "mergelang.interference",
    version: 1,
    labels: settings.labels,
    models: [...models],
    base: options.base,
    density,
    by,
    mode,
    seed: sampled ? settings.seed : null,
    confidence: sampled ? settings.confidence : null,
    pcb: settings.pcb,
    spectral: spectral ? { mode: sampled ? "fast" : "exact", matrices: spectral.matrices } : null,
    groups: reportGroups,
    total: { ...groupMetrics(total, settings.confidence), ...(spectral ? spectralMetrics(spectral.total) : {}) },
    skipped,
    bytesRead,
    elapsedMs: performance.now() - started,
  };
}

/**
 * Exact mode on worker threads: one tensor per free worker, the totals added in tensor order as
 * they complete (the same sums, in the same order, as on one thread). Returns the bytes read.
 */
async function exactOnWorkers(
  pool: ExactPool,
  paths: string[],
  tensors: TensorHeader[],
  settings: Settings,
  groupAt: (t: number) => GroupState,
  options: InterferenceOptions,
): Promise<number> {
  const results: (Float64Array | null)[] = tensors.map(() => null);
  let committed = 0;
  let bytesRead = 0;
  let failure: Error | null = null;
  const commit = (): void => {
    for (; committed < tensors.length && results[committed] !== null; committed++) {
      const t = tensors[committed]!;
      groupAt(committed).totals.addTensor(results[committed]!, 1, 1, t.numel, t.numel);
      results[committed] = EMPTY_ROWS; // done: let the totals go
      options.onProgress?.({ done: committed + 1, total: tensors.length, tensor: t.name });
    }
  };
  const jobs: Promise<void>[] = [];
  for (let t = 0; t < tensors.length && failure === null; t++) {
    if (options.signal?.aborted) throw abortError(options.signal);
    await pool.free();
    jobs.push(
      pool.run({ paths, tensor: tensors[t]!.name, density: settings.density, pcb: settings.pcb }).then(
        (r) => {
          results[t] = r.rows;
          bytesRead += r.bytes;
          commit();
        },
        (e: Error) => {
          failure ??= e;
        },
      ),
    );
  }
  await Promise.all(jobs);
  if (failure) throw failure;
  if (options.signal?.aborted) throw abortError(options.signal);
  return bytesRead;
}

const EMPTY_ROWS = new Float64Array(0);

interface Settings {
  models: string[];
  density: number;
  by: GroupBy;
  mode: "exact" | "sampled";
  seed: number;
  sampleElements: number;
  confidence: number;
  labels: string[];
  pcb: PcbSettings | null;
  spectral: boolean;
}

function checkOptions(o: InterferenceOptions): Settings {
  if (!Array.isArray(o.models) || o.models.length === 0) {
    throw new InterferenceInputError("interference needs at least one fine-tuned model besides the base");
  }
  const density = o.density ?? 0.2;
  if (!(density >= 0 && density <= 1)) throw new InterferenceInputError(`density must be between 0 and 1, got ${density}`);
  const by = o.by ?? "layer";
  if (by !== "layer" && by !== "tensor") throw new InterferenceInputError(`by must be "layer" or "tensor", got ${JSON.stringify(by)}`);
  const mode = o.mode ?? "exact";
  if (mode !== "exact" && mode !== "sampled") throw new InterferenceInputError(`mode must be "exact" or "sampled", got ${JSON.stringify(mode)}`);
  const confidence = o.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new InterferenceInputError(`confidence must be between 0 and 1, got ${confidence}`);
  const sampleElements = o.sampleElements ?? DEFAULT_SAMPLE_ELEMENTS;
  if (!(Number.isInteger(sampleElements) && sampleElements >= 1)) {
    throw new InterferenceInputError(`sampleElements must be a positive integer, got ${sampleElements}`);
  }
  const labels = o.labels ?? o.models.map(defaultLabel);
  if (labels.length !== o.models.length) {
    throw new InterferenceInputError(`${labels.length} labels for ${o.models.length} models`);
  }
  let pcb: PcbSettings | null = null;
  if (o.pcb) {
    pcb = { ratio: o.pcb.ratio ?? 0.1, clip: o.pcb.clip ?? 0.0001 };
    if (!(pcb.ratio > 0 && pcb.ratio <= 1)) throw new InterferenceInputError(`pcb ratio must be in (0, 1], got ${pcb.ratio}`);
    if (!(pcb.clip >= 0 && pcb.clip < 0.5)) throw new InterferenceInputError(`pcb clip must be in [0, 0.5), got ${pcb.clip}`);
  }
  return { models: o.models, density, by, mode, seed: o.seed ?? 0, sampleElements, confidence, labels, pcb, spectral: o.spectral === true };
}

function defaultLabel(path: string): string {
  const b = basename(path);
  return b === SINGLE_FILE ? basename(dirname(path)) : b.replace(/\.safetensors$/, "");
}

function shape(t: TensorHeader): string {
  return `[${t.shape.join(", ")}]`;
}

/** The base's float tensors, after checking every model has each with the same shape (spec §4). */
function matchTensors(base: ModelHeader, models: ModelHeader[]): { tensors: TensorHeader[]; skipped: Report["skipped"] } {
  const tensors: TensorHeader[] = [];
  const skipped: Report["skipped"] = [];
  for (const m of models) {
    for (const name of m.tensors.keys()) {
      if (!base.tensors.has(name)) {
        throw new InterferenceInputError(`tensor "${name}" of ${m.path} is not in the base model ${base.path}`, m.path, name);
      }
    }
  }
  for (const t of base.tensors.values()) {
    for (const m of models) {
      const other = m.tensors.get(t.name);
      if (!other) throw new InterferenceInputError(`${m.path} has no tensor "${t.name}" (the base ${base.path} has it)`, m.path, t.name);
      if (shape(other) !== shape(t)) {
        throw new InterferenceInputError(
          `tensor "${t.name}" has shape ${shape(other)} in ${m.path} but ${shape(t)} in the base ${base.path}`,
          m.path,
          t.name,
        );
      }
      if (isFloatDType(t.dtype) !== isFloatDType(other.dtype)) {
        throw new InterferenceInputError(
          `tensor "${t.name}" is ${other.dtype} in ${m.path} but ${t.dtype} in the base ${base.path}`,
          m.path,
          t.name,
        );
      }
    }
    if (!isFloatDType(t.dtype)) skipped.push({ tensor: t.name, reason: `${t.dtype} is not a floating-point dtype` });
    else if (t.numel === 0) skipped.push({ tensor: t.name, reason: "empty tensor" });
    else tensors.push(t);
  }
  return { tensors, skipped };
}

interface TensorDeltas {
  deltas: Float32Array[];
  bounds: number[];
  bytes: number;
}

async function readWhole(readers: ModelReader[], name: string, numel: number): Promise<TensorDeltas> {
  const { deltas, bytes } = await readWholeDeltas(readers, name);
  return { deltas, bounds: [0, numel], bytes };
}

/** The drawn blocks of every model, concatenated; one read per run of adjacent blocks. */
function readSample(readers: ModelReader[], plan: TensorSample, pool: Float32Array[]): TensorDeltas {
  const bounds = sampleBounds(plan);
  const length = bounds[bounds.length - 1]!;
  const runs = sampleRuns(plan);
  let bytes = 0;
  const buffers = readers.map((r, m) => {
    // One buffer per model, reused from tensor to tensor: a sample's deltas live only until it is summed.
    if ((pool[m]?.length ?? -1) < length) pool[m] = new Float32Array(Math.max(length, 2 * (pool[m]?.length ?? 0)));
    const out = pool[m]!.subarray(0, length);
    let at = 0;
    for (const { start, end } of runs) {
      r.readF32IntoSync(plan.name, out.subarray(at, at + end - start), start, end - start);
      at += end - start;
    }
    bytes += length * dtypeSize(r.tensor(plan.name).dtype);
    return out;
  });
  return { deltas: subtractBase(buffers[0]!, buffers.slice(1)), bounds, bytes };
}

/**
 * Adds one tensor to its group. `plan` is null when the deltas are the whole tensor (one block, no
 * variance); otherwise the deltas are the plan's blocks and the thresholds come from the sample.
 */
export function addTensor(
  totals: Totals,
  layout: VariableLayout,
  deltas: Float32Array[],
  bounds: number[],
  numel: number,
  plan: TensorSample | null,
  density: number,
  pcb: PcbSettings | null,
): void {
  const K = layout.size;
  const n = layout.tasks;
  const length = bounds[bounds.length - 1]!;
  if (!plan) {
    totals.addTensor(exactTensorTotals(layout, deltas, density, pcb), 1, 1, numel, numel);
    return;
  }
  const k = keepCount(numel, density);
  const blocks = bounds.length - 1;
  const rows = new Float64Array(blocks * K);
  const sample = sampleThresholds(deltas, deltas.map(() => sampledKeepCount(length, numel, k)));
  const below = new Float64Array(blocks * n);
  tiesBlockTotals(layout, deltas, bounds, sample.thresholds, rows, below);
  if (pcb) pcbBlockTotals(layout, deltas, bounds, pcb, rows, numel);
  const error = thresholdError(layout, deltas, sample, rows, below, blocks / plan.population);
  totals.addTensor(rows, blocks, plan.population, numel, length, linearisedRows(layout, rows, below, error.slopes));
  // Tie-group flips were measured in sample elements: scale them like the totals.
  const expand = plan.population / blocks;
  totals.addCovariance(error.moments, expand * expand);
}

/** The spectral totals of every 2-D tensor, by group, on the calling thread (the products are the work). */
async function spectralPass(
  paths: string[],
  tensors: TensorHeader[],
  by: GroupBy,
  exact: boolean,
  options: InterferenceOptions,
): Promise<{ groups: Map<string, SpectralTotals>; total: SpectralTotals; matrices: number; bytes: number }> {
  await useFastProducts();
  const readers = paths.map((p) => new ModelReader(options.headers ? options.headers.get(p) : readModelHeader(p)));
  const groups = new Map<string, SpectralTotals>();
  const total = emptySpectral();
  let matrices = 0;
  let bytes = 0;
  try {
    const chosen = tensors.filter((t) => isSpectralMatrix(t.name, t.shape.length));
    for (const [i, t] of chosen.entries()) {
      if (options.signal?.aborted) throw abortError(options.signal);
      const read = await readWholeDeltas(readers, t.name);
      bytes += read.bytes;
      const totals = spectralTotals(deltaMatrices(read.deltas, t.shape[0]!, t.shape[1]!), exact);
      const key = groupOf(t.name, by).key;
      if (!groups.has(key)) groups.set(key, emptySpectral());
      addSpectral(groups.get(key)!, totals);
      addSpectral(total, totals);
      matrices++;
      options.onProgress?.({ done: i + 1, total: chosen.length, tensor: `${t.name} (spectral)` });
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    for (const r of readers) r.close();
  }
  return { groups, total, matrices, bytes };
}

function spectralMetrics(t: SpectralTotals | undefined): Pick<GroupMetrics, "spectral" | "sti"> {
  if (!t || t.energy === 0) return { spectral: { value: null }, sti: t?.sti ?? 0 };
  return { spectral: { value: t.overlap / t.energy }, sti: t.sti };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error("interference report cancelled");
  e.name = "AbortError";
  return e;
}
