/**
 * What a save needs before any weight is read, shared by execution and planning: the nodes under
 * the saved value, its models and their common tensor list, and the kernels bound to the nodes.
 */
import type { Graph, GraphNode, LoadNode, NodeId, SaveEffect } from "../graph/graph.js";
import type { ModelHeader } from "../io/index.js";
import { BoundNode } from "./bound-node.js";
import { EngineError, atOrigin } from "./errors.js";
import { nodeAt, nodeInputs, postOrder, sameNameNodes } from "./graph-walk.js";
import { type FamilyTensor, type ModelSet, familyTensors } from "./model-set.js";
import { TensorLayout } from "./tensor-layout.js";
import { processingOrder } from "./tensor-order.js";
import { type VocabAlignment, alignVocabularies } from "./vocab-alignment.js";

export interface SaveSetup {
  /** Every node under the saved one, inputs first. */
  nodes: GraphNode[];
  /** The models read under the saved tensors' own names (all of them, unless layers are stacked). */
  loads: LoadNode[];
  reference: LoadNode;
  refHeader: ModelHeader;
  tensors: FamilyTensor[];
  bound: Map<NodeId, BoundNode>;
  /** Every node's tensor list, when the saved value stacks layers (slice, passthrough); else null. */
  layout: TensorLayout | null;
  /** The output vocabulary the models' embedding rows are aligned to (set on `models` until `models.align(null)`). */
  vocab: VocabAlignment | null;
}

export function setupSave(graph: Graph, effect: SaveEffect, models: ModelSet): SaveSetup {
  nodeAt(graph, effect.node);
  const nodes = postOrder(graph, [effect.node]);
  const loads = nodes.filter((n): n is LoadNode => n.kind === "load");
  const reference = referenceLoad(graph, effect, loads);
  const refHeader = models.header(reference);
  if (nodes.some((n) => n.kind === "stack")) {
    if (effect.tokenizer) throw new EngineError(atOrigin(effect.origin, "save: tokenizer: is not supported yet for stacked layers (slice, passthrough)"), effect.origin);
    // The tensor list is the saved node's own; each merge's ramps span its own models' layers.
    const layout = new TensorLayout(graph, models);
    const direct = sameNameNodes(graph, [effect.node]).filter((n): n is LoadNode => n.kind === "load");
    const layers = (node: GraphNode): number => layout.layerCount(nodeInputs(node)[0]!);
    return { nodes, loads: direct, reference, refHeader, tensors: processingOrder(layout.tensors(effect.node)), bound: bindNodes(graph, [effect.node], layers), layout, vocab: null };
  }
  const vocab = alignVocabularies(graph, effect, models, reference, loads);
  models.align(vocab);
  const tensors = processingOrder(familyTensors(models, reference, loads));
  return { nodes, loads, reference, refHeader: models.header(reference), tensors, bound: bindNodes(graph, [effect.node], refHeader.layerCount), layout: null, vocab };
}

/** The load node a save takes its tensor list, config and tokenizer from. */
function referenceLoad(graph: Graph, effect: SaveEffect, loads: LoadNode[]): LoadNode {
  const node = graph.nodes[effect.configFrom];
  if (node?.kind === "load") return node;
  const first = loads[0];
  if (!first) throw new EngineError(atOrigin(effect.origin, "save: the saved value reads no model"), effect.origin);
  return first;
}

/**
 * Binds every merge and delta-operation node under `roots` to its kernel. `layerCount` (the span of
 * a ramp) is the models' number of layers, or a function of the node for graphs that stack layers.
 */
export function bindNodes(graph: Graph, roots: readonly NodeId[], layerCount: number | ((node: GraphNode) => number)): Map<NodeId, BoundNode> {
  const bound = new Map<NodeId, BoundNode>();
  for (const node of postOrder(graph, roots)) {
    if (node.kind === "merge" || node.kind === "delta_op") {
      bound.set(node.id, new BoundNode(node, typeof layerCount === "number" ? layerCount : layerCount(node)));
    }
  }
  return bound;
}

