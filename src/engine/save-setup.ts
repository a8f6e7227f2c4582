/**
 * What a save needs before any weight is read, shared by execution and planning: the nodes under
 * the saved value, its models and their common tensor list, and the kernels bound to the nodes.
 */
import type { Graph, GraphNode, LoadNode, NodeId, SaveEffect } from "../graph/graph.js";
import type { ModelHeader } from "../io/index.js";
import { BoundNode } from "./bound-node.js";
import { EngineError, atOrigin } from "./errors.js";
import { nodeAt, postOrder } from "./graph-walk.js";
import { type FamilyTensor, type ModelSet, familyTensors } from "./model-set.js";

export interface SaveSetup {
  /** Every node under the saved one, inputs first. */
  nodes: GraphNode[];
  loads: LoadNode[];
  reference: LoadNode;
  refHeader: ModelHeader;
  tensors: FamilyTensor[];
  bound: Map<NodeId, BoundNode>;
}

export function setupSave(graph: Graph, effect: SaveEffect, models: ModelSet): SaveSetup {
  nodeAt(graph, effect.node);
  const nodes = postOrder(graph, [effect.node]);
  const loads = nodes.filter((n): n is LoadNode => n.kind === "load");
  const reference = referenceLoad(graph, effect, loads);
  const tensors = familyTensors(models, reference, loads);
  const refHeader = models.header(reference);
  return { nodes, loads, reference, refHeader, tensors, bound: bindNodes(graph, [effect.node], refHeader.layerCount) };
}

/** The load node a save takes its tensor list, config and tokenizer from. */
function referenceLoad(graph: Graph, effect: SaveEffect, loads: LoadNode[]): LoadNode {
  const node = graph.nodes[effect.configFrom];
  if (node?.kind === "load") return node;
  const first = loads[0];
  if (!first) throw new EngineError(atOrigin(effect.origin, "save: the saved value reads no model"), effect.origin);
  return first;
}

/** Binds every merge and delta-operation node under `roots` to its kernel. */
export function bindNodes(graph: Graph, roots: readonly NodeId[], layerCount: number): Map<NodeId, BoundNode> {
  const bound = new Map<NodeId, BoundNode>();
  for (const node of postOrder(graph, roots)) {
    if (node.kind === "merge" || node.kind === "delta_op") bound.set(node.id, new BoundNode(node, layerCount));
  }
  return bound;
}

