/**
 * Whole tensors of graph nodes, for what a notebook shows (task-vector statistics): loads and
 * results go through the session's TensorCache, so later cells reuse what earlier cells read or
 * computed. Saving goes through the streaming engine instead; this is for looking at values.
 */
import { createHash } from "node:crypto";
import type { Graph, GraphNode, LoadNode, NodeId, ParamTable } from "../graph/graph.js";
import { BoundNode } from "../engine/bound-node.js";
import { EngineAbortedError, EngineError, atOrigin } from "../engine/errors.js";
import { bindNodes } from "../engine/executor.js";
import { postOrder } from "../engine/graph-walk.js";
import { Scratch } from "../engine/kernels/scratch.js";
import { type FamilyTensor, ModelSet, familyTensors } from "../engine/model-set.js";
import type { HeaderCache } from "../io/index.js";
import type { TensorCache } from "./tensor-cache.js";

export interface EvaluatorOptions {
  signal?: AbortSignal;
  /** Called before each tensor of a global-statistics pass (for progress displays). */
  onStatsTensor?: (label: string, done: number, total: number) => void;
}

export class TensorEvaluator {
  private readonly models: ModelSet;
  private readonly keys = new Map<NodeId, string>();
  private readonly globalStats = new Map<NodeId, unknown>();
  private readonly scratch = new Scratch();
  private bound: Map<NodeId, BoundNode> | null = null;
  private familyList: FamilyTensor[] | null = null;

  constructor(
    private readonly graph: Graph,
    private readonly root: NodeId,
    private readonly cache: TensorCache,
    headers: HeaderCache,
    private readonly options: EvaluatorOptions = {},
  ) {
    this.models = new ModelSet(headers);
  }

  /** The root's tensors (names, shapes, dtypes), after checking every model it reads agrees. */
  tensors(): FamilyTensor[] {
    if (!this.familyList) {
      const loads = postOrder(this.graph, [this.root]).filter((n): n is LoadNode => n.kind === "load");
      const reference = loads[0];
      if (!reference) throw new EngineError("this value reads no model");
      this.familyList = familyTensors(this.models, reference, loads);
      this.bound = bindNodes(this.graph, [this.root], this.models.header(reference).layerCount);
    }
    return this.familyList;
  }

  /** The root's values for one float tensor, as float32. */
  async evaluate(tensor: FamilyTensor): Promise<Float32Array> {
    this.tensors();
    return this.node(this.root, tensor);
  }

  close(): void {
    this.models.close();
    this.scratch.clear();
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw new EngineAbortedError("stopped: the cell was interrupted");
  }

  private async node(id: NodeId, t: FamilyTensor): Promise<Float32Array> {
    const key = `${this.key(id)}:${t.name}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.checkAborted();
    const node = this.graph.nodes[id]!;
    let out: Float32Array;
    if (node.kind === "load") {
      out = await this.read(node, t);
    } else if (node.kind === "affine") {
      out = new Float32Array(t.numel);
      for (const term of node.terms) {
        const x = await this.node(term.node, t);
        for (let i = 0; i < out.length; i++) out[i]! += term.coef * x[i]!;
      }
    } else {
      const b = this.bound!.get(id)!;
      const inputs: Float32Array[] = [];
      for (const input of b.inputs) inputs.push(await this.node(input, t));
      const base = b.base === null ? null : await this.node(b.base, t);
      const chunk = { inputs, base, length: t.numel };
      const params = b.params(t.name);
      const ctx = { scratch: this.scratch, tensor: t.name };
      let stats: unknown = null;
      if (b.hasStats) {
        if (b.scope === "global") stats = await this.wholeModelStats(b);
        else {
          const session = b.kernel.beginStats!(params, t.numel, b.inputCount);
          while (session.needsPass) {
            session.accumulate(chunk, ctx);
            session.endPass();
          }
          stats = session.result();
        }
      }
      out = new Float32Array(t.numel);
      try {
        b.kernel.apply(params, stats, chunk, out, ctx);
      } catch (e) {
        throw b.error(`${b.name} failed on tensor "${t.name}": ${(e as Error).message}`, t.name);
      }
    }
    this.cache.set(key, out);
    return out;
  }

  private async read(load: LoadNode, t: FamilyTensor): Promise<Float32Array> {
    try {
      return await this.models.reader(load).readF32(t.name);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, t.name);
    }
  }

  /** Statistics over every float tensor of the model (scope: "global"), computed once per evaluator. */
  private async wholeModelStats(b: BoundNode): Promise<unknown> {
    const id = b.node.id;
    if (this.globalStats.has(id)) return this.globalStats.get(id);
    const floats = this.tensors().filter((t) => t.float);
    const total = floats.reduce((a, t) => a + t.numel, 0);
    const session = b.kernel.beginStats!(floats.length ? b.params(floats[0]!.name) : b.params(""), total, b.inputCount);
    for (let pass = 1; session.needsPass; pass++) {
      for (let i = 0; i < floats.length; i++) {
        const t = floats[i]!;
        this.options.onStatsTensor?.(`${b.name} (global) statistics, pass ${pass}`, i, floats.length);
        const inputs: Float32Array[] = [];
        for (const input of b.inputs) inputs.push(await this.node(input, t));
        const base = b.base === null ? null : await this.node(b.base, t);
        session.accumulate({ inputs, base, length: t.numel }, { scratch: this.scratch, tensor: t.name });
      }
      session.endPass();
    }
    const result = session.result();
    this.globalStats.set(id, result);
    return result;
  }

  /** A key that names what a node computes (not its id), so equal expressions share cache entries. */
  private key(id: NodeId): string {
    const known = this.keys.get(id);
    if (known) return known;
    const node: GraphNode = this.graph.nodes[id]!;
    let text: string;
    switch (node.kind) {
      case "load":
        text = `load ${node.path} ${this.models.header(node).mtimeKey}`;
        break;
      case "affine":
        text = `affine ${node.terms.map((t) => `${t.coef}*${this.key(t.node)}`).join(" ")}`;
        break;
      case "merge":
        text = `merge ${node.method} ${node.scope} ${JSON.stringify(stripOrigins(node.params))} ${node.models.map((m) => this.key(m)).join(",")} base ${node.base === null ? "-" : this.key(node.base)}`;
        break;
      case "delta_op":
        text = `delta ${node.op} ${JSON.stringify(stripOrigins(node.params))} ${node.inputs.map((m) => this.key(m)).join(",")}`;
        break;
    }
    const key = createHash("sha1").update(text).digest("hex");
    this.keys.set(id, key);
    return key;
  }
}

/** Where clauses without their recipe positions: the same parameters in another cell are the same. */
function stripOrigins(params: ParamTable): unknown {
  return { values: params.values, where: params.where.map((w) => ({ selector: w.selector, values: w.values })), modelCount: params.modelCount };
}
