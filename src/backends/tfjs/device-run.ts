/**
 * One tensor evaluated on the device, chunk by chunk, as the CPU engine's TensorRun does on arrays:
 * a load is read on the host and uploaded, an affine node and a method with a tfjs kernel are tensor
 * ops, a method without one runs its CPU kernel on the chunk read back. Every node's output stays
 * cached for the chunk (several consumers read it) and is disposed when the chunk changes or the
 * run is released; the values handed to the writer are read back from the device.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { LoadNode, NodeId } from "../../graph/graph.js";
import { dtypeSize } from "../../io/index.js";
import type { TensorChunk } from "../../methods/tfjs/kernel.js";
import { sumOver } from "../../methods/tfjs/ops.js";
import { EngineError, atOrigin } from "../../engine/errors.js";
import { checkFiniteValues } from "../../engine/finite-inputs.js";
import { postOrder } from "../../engine/graph-walk.js";
import type { FamilyTensor } from "../../engine/model-set.js";
import { type ChunkRange, type Prefetch, type RunContext, checkAborted, chunkLimit, chunkRanges, rowLength } from "../../engine/tensor-run.js";
import type { TensorEvaluator } from "../backend.js";
import { downloadChunk } from "./stats.js";
import type { DeviceNode, TfjsSave } from "./save.js";

export class DeviceTensorRun implements TensorEvaluator {
  readonly chunks: ChunkRange[];
  private readonly stats = new Map<NodeId, unknown>();
  private cache = new Map<NodeId, tf.Tensor>();
  private current = -1;

  constructor(
    private readonly save: TfjsSave,
    readonly tensor: FamilyTensor,
    private readonly prefetch: Prefetch | null,
  ) {
    this.chunks = chunkRanges(tensor.shape, tensor.numel, chunkLimit(save.ctx, tensor.name));
  }

  private get ctx(): RunContext {
    return this.save.ctx;
  }

  get single(): boolean {
    return this.chunks.length === 1;
  }

  async prepare(roots: readonly NodeId[]): Promise<void> {
    if (this.single) return;
    for (const node of postOrder(this.ctx.graph, roots)) {
      const dn = this.save.nodes.get(node.id);
      if (!dn || !dn.bound.hasStats || dn.bound.scope !== "tensor" || this.stats.has(node.id)) continue;
      const params = dn.bound.params(this.tensor.name);
      const session = this.save.statsSession(dn, params, this.tensor.numel, this.tensor.name);
      while (session.needsPass) {
        for (let c = 0; c < this.chunks.length; c++) await session.accumulate(await this.inputsOf(dn, c));
        session.endPass();
      }
      this.stats.set(node.id, session.result());
    }
    this.release();
  }

  /** The inputs of a node for chunk `c` (valid until another chunk is evaluated). */
  async inputsOf(dn: DeviceNode, c: number): Promise<TensorChunk> {
    const inputs: tf.Tensor1D[] = [];
    for (const id of dn.bound.inputs) inputs.push((await this.device(id, c)) as tf.Tensor1D);
    const base = dn.bound.base === null ? null : ((await this.device(dn.bound.base, c)) as tf.Tensor1D);
    const { start, count } = this.chunks[c]!;
    return { inputs, base, length: count, offset: start, rowLength: rowLength(this.tensor.shape, this.tensor.numel) };
  }

  async evaluate(id: NodeId, c: number): Promise<Float32Array> {
    return (await (await this.device(id, c)).data()) as Float32Array;
  }

  /** Node `id`'s values for chunk `c` on the device (valid until another chunk is evaluated). */
  async device(id: NodeId, c: number): Promise<tf.Tensor> {
    if (c !== this.current) {
      this.release();
      this.current = c;
      checkAborted(this.ctx.signal);
    }
    const hit = this.cache.get(id);
    if (hit) return hit;
    const node = this.ctx.graph.nodes[id]!;
    const { start, count } = this.chunks[c]!;
    let out: tf.Tensor;
    if (node.kind === "load") {
      out = await this.read(node, start, count);
    } else if (node.kind === "affine") {
      const inputs: tf.Tensor[] = [];
      for (const t of node.terms) inputs.push(await this.device(t.node, c));
      out = tf.tidy(() => sumOver(inputs.length, count, (i) => tf.mul(inputs[i]!, node.terms[i]!.coef)));
    } else {
      const dn = this.save.nodes.get(id)!;
      const chunk = await this.inputsOf(dn, c);
      const params = dn.bound.params(this.tensor.name);
      try {
        const stats = dn.bound.hasStats ? await this.statsFor(dn, chunk, params) : null;
        out = dn.kernel ? tf.tidy(() => dn.kernel!.steps.apply(params, stats, chunk)) : await this.onHost(dn, params, stats, chunk);
      } catch (e) {
        throw dn.bound.error(`${dn.bound.name} failed on tensor "${this.tensor.name}": ${(e as Error).message}`, this.tensor.name);
      }
    }
    this.cache.set(id, out);
    return out;
  }

  /** Disposes every cached output. */
  release(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache = new Map();
    this.current = -1;
  }

  /** A method without a tfjs kernel: its CPU kernel on the chunk read back, the result uploaded. */
  private async onHost(dn: DeviceNode, params: unknown, stats: unknown, chunk: TensorChunk): Promise<tf.Tensor> {
    const host = await downloadChunk(chunk);
    const out = new Float32Array(chunk.length);
    dn.bound.kernel.apply(params, stats, host, out, { scratch: this.ctx.scratch, tensor: this.tensor.name, shape: this.tensor.shape });
    return tf.tensor1d(out);
  }

  private async statsFor(dn: DeviceNode, chunk: TensorChunk, params: unknown): Promise<unknown> {
    const id = dn.bound.node.id;
    if (dn.bound.scope === "global") {
      if (!this.ctx.globalStats.has(id)) throw new Error(`engine: global statistics of node ${id} were not computed`);
      return this.ctx.globalStats.get(id);
    }
    if (this.stats.has(id)) return this.stats.get(id);
    if (!this.single) throw new Error(`engine: tensor statistics of node ${id} were not prepared`);
    // One chunk: its inputs are on the device, so every pass runs over them without reading again.
    const session = this.save.statsSession(dn, params, this.tensor.numel, this.tensor.name);
    while (session.needsPass) {
      await session.accumulate(chunk);
      session.endPass();
    }
    const result = session.result();
    this.stats.set(id, result);
    return result;
  }

  /**
   * Elements [start, start + count) of a model's tensor, uploaded. The host array is handed to
   * tfjs and never reused (the cpu backend keeps it as the tensor's storage).
   */
  private async read(load: LoadNode, start: number, count: number): Promise<tf.Tensor> {
    const ahead = start === 0 && count === this.tensor.numel ? this.prefetch?.take(load.id) : undefined;
    let host: Float32Array;
    if (ahead) host = await ahead;
    else {
      const reader = this.ctx.models.reader(load);
      host = new Float32Array(count);
      try {
        await reader.readF32Into(this.tensor.name, host, start, count);
        checkFiniteValues(this.ctx.allowNonFinite, load, this.tensor.name, host, { start, count, numel: this.tensor.numel });
      } catch (e) {
        if (e instanceof EngineError) throw e;
        throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, this.tensor.name);
      }
      this.ctx.counters.bytesRead += count * dtypeSize(reader.tensor(this.tensor.name).dtype);
    }
    return tf.tensor1d(host);
  }
}
