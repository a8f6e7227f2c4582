/**
 * Whole tensors of graph nodes, for what a notebook shows (task-vector statistics): loads and
 * results go through the session's TensorCache, so later cells reuse what earlier cells read or
 * computed. Tensor-scope methods run in memory, one tensor at a time; a global-scope method needs
 * whole-model statistics, so the streaming engine saves it once (float32) to the session's scratch
 * folder and its tensors are read from there.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Graph, GraphNode, LoadNode, MergeNode, NodeId, ParamTable, SaveEffect } from "../graph/graph.js";
import { EngineAbortedError, EngineError, atOrigin } from "../engine/errors.js";
import { executeGraph, type EngineProgress } from "../engine/executor.js";
import { hasStack, postOrder } from "../engine/graph-walk.js";
import { applyNode } from "../engine/in-memory.js";
import { type FamilyTensor, ModelSet, familyTensors } from "../engine/model-set.js";
import { TensorLayout } from "../engine/tensor-layout.js";
import type { HeaderCache } from "../io/index.js";
import type { TensorCache } from "./tensor-cache.js";

export interface EvaluatorOptions {
  signal?: AbortSignal;
  /** Folder for whole-model results of global-scope methods (made by the session). */
  scratchDir: () => string;
  /** Progress of a global-scope method being computed. */
  onEngineProgress?: (p: EngineProgress) => void;
}

export class TensorEvaluator {
  private readonly models: ModelSet;
  private readonly keys = new Map<NodeId, string>();
  /** Global-scope nodes, replaced by load nodes of their saved results. */
  private readonly materialized = new Map<NodeId, LoadNode>();
  private familyList: FamilyTensor[] | null = null;
  private layerCount = 0;
  private reference: LoadNode | null = null;
  /** The graph's nodes, plus λ = 1 copies of merges (see unitLambda). */
  private readonly nodes: GraphNode[];
  private readonly unitNodes = new Map<NodeId, NodeId>();

  constructor(
    private readonly graph: Graph,
    private readonly root: NodeId,
    private readonly cache: TensorCache,
    private readonly headers: HeaderCache,
    private readonly options: EvaluatorOptions,
  ) {
    this.models = new ModelSet(headers);
    this.nodes = [...graph.nodes];
  }

  /** The root's tensors (names, shapes, dtypes), after checking every model it reads agrees. */
  tensors(): FamilyTensor[] {
    if (!this.familyList) {
      const loads = postOrder(this.graph, [this.root]).filter((n): n is LoadNode => n.kind === "load");
      const reference = loads[0];
      if (!reference) throw new EngineError("this value reads no model");
      if (hasStack(this.graph, [this.root])) {
        // Stacked layers (slice, passthrough): the root has a tensor list of its own.
        const layout = new TensorLayout(this.graph, this.models);
        this.familyList = layout.tensors(this.root);
        this.layerCount = layout.layerCount(this.root);
      } else {
        this.familyList = familyTensors(this.models, reference, loads);
        this.layerCount = this.models.header(reference).layerCount;
      }
      this.reference = reference;
    }
    return this.familyList;
  }

  /** The root's values for one float tensor, as float32 (shared with the cache: do not modify). */
  async evaluate(tensor: FamilyTensor): Promise<Float32Array> {
    this.tensors();
    return this.node(this.root, tensor);
  }

  close(): void {
    this.models.close();
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw new EngineAbortedError("stopped: the cell was interrupted");
  }

  private async node(id: NodeId, t: FamilyTensor): Promise<Float32Array> {
    const key = `${this.key(id)}:${t.name}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    this.checkAborted();
    const node = this.nodes[id]!;
    let out: Float32Array;
    if (node.kind === "load") {
      out = await this.read(node, t);
    } else if (node.kind === "affine") {
      out = new Float32Array(t.numel);
      for (const term of node.terms) {
        const x = await this.node(term.node, t);
        for (let i = 0; i < out.length; i++) out[i]! += term.coef * x[i]!;
      }
    } else if (node.kind === "merge" && node.base !== null && scalesByLambda(node)) {
      // base + λ·τ: the merge at λ = 1 is cached once, so a search over λ alone re-reads and re-trims nothing.
      const lambda = node.params.values["lambda"] as number;
      const unit = await this.node(this.unitLambda(node), t);
      const base = await this.node(node.base, t);
      out = new Float32Array(t.numel);
      for (let i = 0; i < out.length; i++) out[i] = base[i]! + lambda * (unit[i]! - base[i]!);
    } else if (isGlobal(node) || node.kind === "stack" || hasStack({ nodes: this.nodes, effects: [] }, [id])) {
      // Whole-model statistics, or tensors renamed from other models: the streaming engine saves it once.
      out = await this.read(await this.materialize(node), t);
    } else {
      const inputs: Float32Array[] = [];
      for (const input of node.kind === "merge" ? node.models : node.inputs) inputs.push(await this.node(input, t));
      const base = node.kind === "merge" && node.base !== null ? await this.node(node.base, t) : null;
      const method = node.kind === "merge" ? node.method : node.op;
      try {
        // applyNode binds the node as the executor does (disjoint_mean's sign input, della's per-row ranks).
        out = applyNode(node, t, inputs, base, this.layerCount);
      } catch (e) {
        throw new EngineError(atOrigin(node.origin, `${method} failed on tensor "${t.name}": ${(e as Error).message}`), node.origin, t.name);
      }
    }
    this.cache.set(key, out);
    return out;
  }

  /** The same merge at λ = 1, as a node of its own (appended to a private copy of the node list). */
  private unitLambda(node: MergeNode): NodeId {
    const known = this.unitNodes.get(node.id);
    if (known !== undefined) return known;
    const id = this.nodes.length;
    this.nodes.push({ ...node, id, params: { ...node.params, values: { ...node.params.values, lambda: 1 } } });
    this.unitNodes.set(node.id, id);
    return id;
  }

  private async read(load: LoadNode, t: FamilyTensor): Promise<Float32Array> {
    try {
      return await this.models.reader(load).readF32(t.name);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(atOrigin(load.origin, (e as Error).message), load.origin, t.name);
    }
  }

  /** Saves a global-scope result once (float32, in the scratch folder) and loads it from there. */
  private async materialize(node: GraphNode): Promise<LoadNode> {
    const known = this.materialized.get(node.id);
    if (known) return known;
    const path = join(this.options.scratchDir(), this.key(node.id));
    const load: LoadNode = { id: node.id, kind: "load", value: "model", path, origin: node.origin };
    let exists = true;
    try {
      this.headers.get(path);
    } catch {
      exists = false;
    }
    if (!exists) {
      const effect: SaveEffect = {
        kind: "save",
        node: node.id,
        path,
        dtype: "f32",
        shardSize: 5e9,
        copyTokenizer: false,
        overwrite: false,
        allowNonFinite: false,
        tokenizer: null,
        chatTemplate: null,
        configFrom: this.reference!.id,
        recipe: { file: node.origin.file, text: "", hash: "" },
        summary: "intermediate result of a notebook",
        origin: node.origin,
      };
      await executeGraph(
        { nodes: this.graph.nodes, effects: [effect] },
        { signal: this.options.signal, headerCache: this.headers, ...(this.options.onEngineProgress ? { onProgress: this.options.onEngineProgress } : {}) },
      );
    }
    this.materialized.set(node.id, load);
    return load;
  }

  /** A key that names what a node computes (not its id), so equal expressions share cache entries. */
  private key(id: NodeId): string {
    const known = this.keys.get(id);
    if (known) return known;
    const node: GraphNode = this.nodes[id]!;
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
      case "stack":
        text = `stack ${node.parts.map((p) => `${this.key(p.node)}[${p.from}..${p.to ?? ""}]`).join(",")}`;
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

/** Methods whose result is base + λ·τ with τ independent of λ (their kernels apply λ last). */
const LAMBDA_SCALED = new Set(["task_arithmetic", "ties", "pcb", "dare", "breadcrumbs", "della"]);

/** A tensor-scope merge whose λ is one number (no where clause varies it) and not already 1. */
function scalesByLambda(node: MergeNode): boolean {
  const lambda = node.params.values["lambda"];
  return (
    LAMBDA_SCALED.has(node.method) &&
    node.scope === "tensor" &&
    typeof lambda === "number" &&
    lambda !== 1 &&
    !node.params.where.some((w) => "lambda" in w.values)
  );
}

function isGlobal(node: GraphNode): boolean {
  if (node.kind === "merge") return node.scope === "global";
  return node.kind === "delta_op" && node.params.values["scope"] === "global";
}
