/** Building execution graphs by hand in tests, as the language would lower a recipe. */
import type { Effect, Graph, GraphNode, NodeId, Origin, ParamValue, SaveEffect, WhereClause } from "../../src/graph/graph.js";

export const origin: Origin = { file: "test.merge", line: 1, column: 1 };

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly effects: Effect[] = [];

  load(path: string): NodeId {
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "load", value: "model", path, origin });
    return id;
  }

  affine(terms: [number, NodeId][], value: "model" | "delta" = "model"): NodeId {
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "affine", value, terms: terms.map(([coef, node]) => ({ coef, node })), origin });
    return id;
  }

  merge(
    method: string,
    models: NodeId[],
    base: NodeId | null,
    values: Record<string, ParamValue> = {},
    where: WhereClause[] = [],
  ): NodeId {
    const id = this.nodes.length;
    const scope = values["scope"] === "global" ? "global" : "tensor";
    this.nodes.push({
      id,
      kind: "merge",
      value: "model",
      method,
      models,
      base,
      params: { values, where, modelCount: models.length },
      scope,
      origin,
    });
    return id;
  }

  deltaOp(op: "trim" | "elect" | "disjoint_mean", inputs: NodeId[], values: Record<string, ParamValue> = {}): NodeId {
    const id = this.nodes.length;
    this.nodes.push({ id, kind: "delta_op", value: "delta", op, inputs, params: { values, where: [], modelCount: inputs.length }, origin });
    return id;
  }

  save(node: NodeId, path: string, configFrom: NodeId, dtype: SaveEffect["dtype"] = "f32", shardSize = 5e9): void {
    this.effects.push({
      kind: "save",
      node,
      path,
      dtype,
      shardSize,
      copyTokenizer: true,
      overwrite: false,
      allowNonFinite: false,
      tokenizer: null,
      chatTemplate: null,
      configFrom,
      recipe: { file: "test.merge", text: "# built by hand in a test\n", hash: "0" },
      summary: "a test merge",
      origin,
    });
  }

  build(): Graph {
    return { nodes: this.nodes, effects: this.effects };
  }
}
