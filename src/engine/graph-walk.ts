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
  }
}

export function nodeAt(graph: Graph, id: NodeId): GraphNode {
  const node = graph.nodes[id];
  if (!node || node.id !== id) throw new Error(`execution graph: node ${id} is missing or misnumbered`);
  return node;
}

/** Every node reachable from `roots`, inputs before the nodes that read them. */
export function postOrder(graph: Graph, roots: readonly NodeId[]): GraphNode[] {
  const out: GraphNode[] = [];
  const state = new Map<NodeId, "visiting" | "done">();
  const visit = (id: NodeId): void => {
    const s = state.get(id);
    if (s === "done") return;
    if (s === "visiting") throw new Error(`execution graph: node ${id} depends on itself`);
    state.set(id, "visiting");
    const node = nodeAt(graph, id);
    for (const input of nodeInputs(node)) visit(input);
    state.set(id, "done");
    out.push(node);
  };
  for (const r of roots) visit(r);
  return out;
}

export function loadsUnder(graph: Graph, roots: readonly NodeId[]): LoadNode[] {
  return postOrder(graph, roots).filter((n): n is LoadNode => n.kind === "load");
}
