/** Walking the execution graph: a node's inputs, and nodes in dependency order. */
import type { Graph, GraphNode, LoadNode, NodeId } from "../graph/graph.js";

/** The nodes a node reads, in a fixed order (a merge's models, then its base). */
export function nodeInputs(node: GraphNode): NodeId[] {
  switch (node.kind) {
    case "load":
      return [];
    case "affine":
      return node.terms.map((t) => t.node);
    case "merge":
      return node.base === null ? [...node.models] : [...node.models, node.base];
    case "delta_op":
      return [...node.inputs];
    case "stack":
      return node.parts.map((p) => p.node);
  }
}

export function nodeAt(graph: Graph, id: NodeId): GraphNode {
  const node = graph.nodes[id];
  if (!node || node.id !== id) throw new Error(`execution graph: node ${id} is missing or misnumbered`);
  return node;
}

/**
 * Every node reachable from `roots`, inputs before the nodes that read them. `descend` false for a
 * node keeps its inputs out (unless reached otherwise): e.g. stop at stack nodes, whose inputs are
 * read under other tensor names.
 */
export function postOrder(graph: Graph, roots: readonly NodeId[], descend: (node: GraphNode) => boolean = () => true): GraphNode[] {
  const out: GraphNode[] = [];
  const state = new Map<NodeId, "visiting" | "done">();
  const visit = (id: NodeId): void => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting") throw new Error(`execution graph: node ${id} depends on itself`);
    state.set(id, "visiting");
    const node = nodeAt(graph, id);
    if (descend(node)) for (const input of nodeInputs(node)) visit(input);
    state.set(id, "done");
    out.push(node);
  };
  for (const r of roots) visit(r);
  return out;
}

/** Whether any node under `roots` is a stack (its tensor list differs from its inputs'). */
export function hasStack(graph: Graph, roots: readonly NodeId[]): boolean {
  return postOrder(graph, roots).some((n) => n.kind === "stack");
}

/** Nodes under `roots` that read the same tensor names as the roots: the walk stops at stacks. */
export function sameNameNodes(graph: Graph, roots: readonly NodeId[]): GraphNode[] {
  return postOrder(graph, roots, (n) => n.kind !== "stack");
}

export function loadsUnder(graph: Graph, roots: readonly NodeId[]): LoadNode[] {
  return postOrder(graph, roots).filter((n): n is LoadNode => n.kind === "load");
}
