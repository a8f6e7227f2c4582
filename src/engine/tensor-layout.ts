/**
 * The tensor list of every node of a graph, from the model headers. Most nodes have their inputs'
 * list (checked to agree); a stack node (slice, passthrough stacking) has its own, each of its
 * tensors being an input tensor under a new name. The executor takes a save's tensor list from
 * here when the saved value stacks layers, and evaluates a stack's tensor by reading its source.
 */
import type { Graph, GraphNode, LoadNode, NodeId, StackNode } from "../graph/graph.js";
import { StackError, stackTensors } from "../graph/stack.js";
import { isFloatDType } from "../io/index.js";
import { EngineError, atOrigin } from "./errors.js";
import { nodeAt, nodeInputs } from "./graph-walk.js";
import type { FamilyTensor, ModelSet } from "./model-set.js";

interface NodeLayout {
  tensors: FamilyTensor[];
  byName: Map<string, FamilyTensor>;
  layerCount: number;
  /** For a stack node: output name → the input node and tensor it copies. */
  sources?: Map<string, { node: NodeId; name: string }>;
}

const shapeText = (s: readonly number[]): string => `[${s.join(", ")}]`;

export class TensorLayout {
  private readonly layouts = new Map<NodeId, NodeLayout>();

  constructor(
    private readonly graph: Graph,
    private readonly models: ModelSet,
  ) {}

  /** The node's tensors, in the order they are written. */
  tensors(id: NodeId): FamilyTensor[] {
    return this.layout(id).tensors;
  }

  layerCount(id: NodeId): number {
    return this.layout(id).layerCount;
  }

  /** The node and tensor that tensor `name` of stack node `id` copies. */
  stackSource(id: NodeId, name: string): { node: NodeId; tensor: FamilyTensor } {
    const src = this.layout(id).sources?.get(name);
    if (!src) throw new Error(`engine: node ${id} is not a stack with a tensor "${name}"`);
    return { node: src.node, tensor: this.layout(src.node).byName.get(src.name)! };
  }

  /** The model files (and names there) that tensor `name` of the nodes `roots` reads, each once. */
  leafSources(roots: readonly NodeId[], name: string): { load: LoadNode; name: string }[] {
    const out: { load: LoadNode; name: string }[] = [];
    const seen = new Set<string>();
    const visit = (id: NodeId, tensor: string): void => {
      const key = `${id}\u0000${tensor}`;
      if (seen.has(key)) return;
      seen.add(key);
      const node = nodeAt(this.graph, id);
      if (node.kind === "load") out.push({ load: node, name: tensor });
      else if (node.kind === "stack") {
        const src = this.layout(id).sources!.get(tensor);
        if (src) visit(src.node, src.name);
      } else for (const input of nodeInputs(node)) visit(input, tensor);
    };
    for (const r of roots) visit(r, name);
    return out;
  }

  private layout(id: NodeId): NodeLayout {
    const known = this.layouts.get(id);
    if (known) return known;
    const node = nodeAt(this.graph, id);
    let layout: NodeLayout;
    if (node.kind === "load") layout = this.loadLayout(node);
    else if (node.kind === "stack") layout = this.stackLayout(node);
    else layout = this.sharedLayout(node);
    this.layouts.set(id, layout);
    return layout;
  }

  private loadLayout(load: LoadNode): NodeLayout {
    const header = this.models.header(load);
    const tensors = [...header.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, numel: t.numel, dtype: t.dtype, float: isFloatDType(t.dtype) }));
    return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), layerCount: header.layerCount };
  }

  /** A node that computes tensor by tensor: every input must have the first input's tensors. */
  private sharedLayout(node: GraphNode): NodeLayout {
    const inputs = nodeInputs(node);
    const first = this.layout(inputs[0]!);
    for (const other of inputs.slice(1)) {
      const o = this.layout(other);
      const problem = difference(first, o);
      if (problem) {
        throw new EngineError(
          atOrigin(node.origin, `the inputs here have different tensors: ${problem(this.describe(inputs[0]!), this.describe(other))}`),
          node.origin,
        );
      }
    }
    return first;
  }

  private stackLayout(node: StackNode): NodeLayout {
    let stacked;
    try {
      stacked = stackTensors(
        node.parts.map((p) => {
          const l = this.layout(p.node);
          return { tensors: l.tensors.map((t): [string, FamilyTensor] => [t.name, t]), layerCount: l.layerCount, from: p.from, to: p.to };
        }),
      );
    } catch (e) {
      if (!(e instanceof StackError)) throw e;
      const part = this.describe(node.parts[e.part]!.node);
      throw new EngineError(atOrigin(node.origin, `${e.message} (${part})`), node.origin);
    }
    const sources = new Map<string, { node: NodeId; name: string }>();
    const tensors: FamilyTensor[] = [];
    for (const t of stacked.tensors) {
      if (sources.has(t.name)) throw new EngineError(atOrigin(node.origin, `the stacked model would have two tensors named "${t.name}"`), node.origin, t.name);
      sources.set(t.name, { node: node.parts[t.part]!.node, name: t.source });
      tensors.push({ ...t.info, name: t.name });
    }
    return { tensors, byName: new Map(tensors.map((t) => [t.name, t])), layerCount: stacked.layerCount, sources };
  }

  /** What a node is, for messages: a model path, or the method and recipe position. */
  private describe(id: NodeId): string {
    const node = nodeAt(this.graph, id);
    const at = `${node.origin.line}:${node.origin.column}`;
    switch (node.kind) {
      case "load":
        return node.path;
      case "merge":
        return `the ${node.method} result at ${at}`;
      case "stack":
        return `the stacked model at ${at}`;
      default:
        return `the value at ${at}`;
    }
  }
}

/** A sentence maker naming the first tensor two layouts disagree on, or null when they agree. */
function difference(a: NodeLayout, b: NodeLayout): ((left: string, right: string) => string) | null {
  for (const t of a.tensors) {
    const o = b.byName.get(t.name);
    if (!o) return (l, r) => `"${t.name}" is in ${l} but not in ${r}`;
    if (o.shape.length !== t.shape.length || o.shape.some((d, i) => d !== t.shape[i])) {
      return (l, r) => `"${t.name}" is ${shapeText(t.shape)} in ${l} but ${shapeText(o.shape)} in ${r}`;
    }
    if (o.float !== t.float) return (l, r) => `"${t.name}" is ${t.dtype} in ${l} but ${o.dtype} in ${r}`;
  }
  const extra = b.tensors.find((t) => !a.byName.has(t.name));
  return extra ? (l, r) => `"${extra.name}" is in ${r} but not in ${l}` : null;
}
