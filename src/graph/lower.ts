/** Lowering a checked recipe to the execution graph: one node per model, merge and TIES step, then effects. */
import { createHash } from "node:crypto";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Analysis, Binding } from "../language/analyzer.js";
import type { Range } from "../language/ast.js";
import { valueText, type Atom, type LoadAtom, type ModelLike, type Value } from "../language/values.js";
import type { Effect, Graph, GraphNode, NodeId, Origin } from "./graph.js";
import { publicText } from "../util/public-path.js";
import { provenanceOf } from "./provenance.js";

const SAVE_DTYPES: Record<string, "bf16" | "f16" | "f32"> = { BF16: "bf16", F16: "f16", F32: "f32", F64: "f32" };

export function lowerToGraph(analysis: Analysis, text: string): Graph {
  const file = analysis.file;
  const nodes: GraphNode[] = [];
  const memo = new Map<Atom, NodeId>();
  const origin = (r: Range): Origin => ({ file, line: r.start.line, column: r.start.column });
  const sourceOf = (r: Range): string => text.slice(r.start.offset, r.end.offset);

  const atomNode = (atom: Atom): NodeId => {
    const known = memo.get(atom);
    if (known !== undefined) return known;
    let node: GraphNode;
    const id = nodes.length;
    switch (atom.kind) {
      case "load":
        node = { id, kind: "load", value: "model", path: atom.path, origin: origin(atom.call.range) };
        break;
      case "merge": {
        const models = atom.models.map(formNode);
        const base = atom.base ? formNode(atom.base) : null;
        node = { id: nodes.length, kind: "merge", value: "model", method: atom.method, models, base, params: withFile(atom.params), scope: atom.scope, origin: origin(atom.call.range) };
        break;
      }
      case "delta_op": {
        const inputs = atom.inputs.map(formNode);
        node = { id: nodes.length, kind: "delta_op", value: "delta", op: atom.op, inputs, params: withFile(atom.params), origin: origin(atom.call.range) };
        break;
      }
      case "stack": {
        const parts = atom.parts.map((p) => ({ node: formNode(p.model), from: p.from, to: p.to }));
        node = { id: nodes.length, kind: "stack", value: "model", parts, origin: origin(atom.call.range) };
        break;
      }
    }
    node.id = nodes.length;
    nodes.push(node);
    memo.set(atom, node.id);
    return node.id;
  };

  const withFile = <T extends { where: { origin: Origin }[] }>(params: T): T => {
    for (const w of params.where) w.origin = { ...w.origin, file };
    return params;
  };

  const formNode = (m: ModelLike): NodeId => {
    const entries = [...m.form.entries()];
    if (entries.length === 1 && entries[0]![1] === 1) return atomNode(entries[0]![0]);
    const terms = entries.map(([atom, coef]) => ({ coef, node: atomNode(atom) }));
    const node: GraphNode = { id: nodes.length, kind: "affine", value: m.type === "Model" ? "model" : "delta", terms, origin: origin(m.range) };
    nodes.push(node);
    return node.id;
  };

  const hash = createHash("sha256").update(text).digest("hex");
  const bindingOf = new Map<Value, Binding>(analysis.bindings.map((b) => [b.value, b]));
  const effects: Effect[] = [];
  analysis.program.statements.forEach((stmt, i) => {
    const value = analysis.statementValues[i];
    if (stmt.kind !== "ExprStmt" || !value) return;
    const o = origin(stmt.range);
    if (value.type === "Effect") {
      const e = value.effect;
      if (e.kind === "print") {
        effects.push({ kind: "print", text: e.values.map((v) => describe(v, sourceOf)).join(" "), origin: o });
        return;
      }
      // optimize(...) is run by src/search on candidate recipes, never as part of the graph.
      if (e.kind === "optimize") return;
      const configAtom = configSource(e.model);
      const path = isAbsolute(e.path) ? e.path : resolve(dirname(file), e.path);
      effects.push({
        kind: "save",
        node: formNode(e.model),
        path,
        dtype: (e.dtype as "bf16" | "f16" | "f32" | null) ?? defaultDType(configAtom),
        shardSize: e.shardSize,
        copyTokenizer: e.copyTokenizer,
        overwrite: e.overwrite,
        allowNonFinite: e.allowNonFinite,
        tokenizer: e.tokenizer && {
          source: typeof e.tokenizer.source === "string" ? e.tokenizer.source : atomNode(e.tokenizer.source),
          padToMultipleOf: e.tokenizer.padToMultipleOf,
          tokens: e.tokenizer.tokens.map((r) => ({
            token: r.token,
            source: r.source === "zero" ? "zero" : atomNode(r.source),
            force: r.force,
            row: r.row,
            fromToken: r.fromToken,
          })),
        },
        chatTemplate: e.chatTemplate,
        configFrom: configAtom ? atomNode(configAtom) : formNode(e.model),
        recipe: { file, text, hash },
        summary: publicText(summaryOf(e.model, sourceOf, bindingOf), dirname(file)),
        provenance: provenanceOf(analysis, text, stmt, e.model),
        origin: o,
      });
      return;
    }
    if (value.type === "Report") {
      const r = value.report;
      effects.push({ kind: "interference", models: r.models.map(formNode), base: formNode(r.base), density: r.density, by: r.by, spectral: r.spectral, origin: o });
      return;
    }
    if (value.type === "Model" || value.type === "Delta") {
      effects.push({ kind: "show", node: formNode(value), text: sourceOf(stmt.range), origin: o });
      return;
    }
    const t = valueText(value);
    if (t !== null) effects.push({ kind: "show", node: null, text: t, origin: o });
  });
  return { nodes, effects };
}

/** The model whose config and tokenizer a saved model inherits: the base of the merge, else the first model. */
function configSource(m: ModelLike): LoadAtom | null {
  const visit = (atom: Atom): LoadAtom | null => {
    if (atom.kind === "load") return atom;
    // A stacked model takes its config from its first part's model (the layer count is rewritten).
    if (atom.kind === "stack") return configSource(atom.parts[0]!.model);
    if (atom.kind === "merge") {
      if (atom.base) {
        const b = configSource(atom.base);
        if (b) return b;
      }
      for (const x of atom.models) {
        const found = configSource(x);
        if (found) return found;
      }
      return null;
    }
    for (const x of atom.inputs) {
      const found = configSource(x);
      if (found) return found;
    }
    return null;
  };
  // Prefer the atom with the largest coefficient (the base in `base + 0.5 * (a - base)`).
  const sorted = [...m.form.entries()].sort((a, b) => b[1] - a[1]);
  for (const [atom] of sorted) {
    const found = visit(atom);
    if (found) return found;
  }
  return null;
}

function defaultDType(atom: LoadAtom | null): "bf16" | "f16" | "f32" {
  if (atom?.dtype === "bf16" || atom?.dtype === "f16" || atom?.dtype === "f32") return atom.dtype;
  return SAVE_DTYPES[atom?.family?.floatDType ?? ""] ?? "f32";
}

/** The text a saved model was defined by: the bound expression when it is saved by name. */
function summaryOf(m: ModelLike, sourceOf: (r: Range) => string, bindingOf: Map<Value, Binding>): string {
  const binding = bindingOf.get(m);
  return binding?.statement.value ? sourceOf(binding.statement.value.range) : sourceOf(m.range);
}

function describe(v: Value, sourceOf: (r: Range) => string): string {
  const t = valueText(v);
  if (t !== null) return t;
  if (v.type === "Model" || v.type === "Delta") return sourceOf(v.range);
  return v.type.toLowerCase();
}
