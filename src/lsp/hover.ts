/**
 * Hover: the catalog's docs on functions and parameters, a model's summary on its name or path, the
 * parameters a merge resolves to per layer group, and what a where selector matches.
 */
import { MarkupKind, type Hover } from "vscode-languageserver/node";
import { selectorMatches } from "../graph/params.js";
import type { HeaderCache } from "../io/header-cache.js";
import type { Analysis, Binding } from "../language/analyzer.js";
import { nodePathAt, type AstNode, type CallExpr } from "../language/ast.js";
import type * as A from "../language/ast.js";
import { functionDoc, lookupFunction, paramFacts, type FunctionSpec } from "../language/catalog.js";
import type { CheckedRecipe } from "../language/service.js";
import { formatNumber, type ModelFamily } from "../language/values.js";
import { toLspRange } from "./convert.js";
import { layerParamsTable, mergeAtomOf, modelSummary, soleAtom, typeLabel } from "./describe.js";
import { bindingAt } from "./navigation.js";

const fence = (code: string): string => "```mergelang\n" + code + "\n```";

export class HoverProvider {
  constructor(private readonly headers: HeaderCache) {}

  hover(checked: CheckedRecipe, offset: number): Hover | null {
    const analysis = checked.analysis;
    const path = nodePathAt(analysis.program, offset);
    const node = path[path.length - 1]!;
    const parent = path[path.length - 2];
    const grand = path[path.length - 3];
    const result = (value: string, range: A.Range): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(range) });

    const hit = bindingAt(analysis, offset);
    if (hit && (node.kind === "NameRef" || node.kind === "Identifier")) return result(this.binding(hit.binding, checked), hit.range);

    if (node.kind === "Identifier" && parent?.kind === "CallExpr" && parent.callee === node) {
      const spec = lookupFunction(node.name);
      if (spec) return result(this.call(spec, parent, analysis, checked.text), node.range);
    }
    if (node.kind === "Identifier" && parent?.kind === "Argument" && grand?.kind === "CallExpr") {
      const doc = parameterDoc(lookupFunction(grand.callee.name), node.name);
      if (doc) return result(doc, node.range);
    }
    if (node.kind === "Identifier" && parent?.kind === "WhereEntry") {
      const call = lastOf(path, (n): n is CallExpr => n.kind === "CallExpr");
      const doc = parameterDoc(call ? lookupFunction(call.callee.name) : undefined, node.name);
      if (doc) return result(doc, node.range);
    }
    if (node.kind === "NameRef" && lookupFunction(node.name)) return result(functionDoc(lookupFunction(node.name)!), node.range);
    if (node.kind === "StringLiteral" && parent?.kind === "Argument" && grand?.kind === "CallExpr" && grand.callee.name === "model") {
      const load = analysis.atoms.find((a) => a.kind === "load" && a.call === grand);
      if (load?.kind === "load") return result(this.model(load.path, undefined, load.source), node.range);
    }
    const selector = lastOf(path, (n): n is A.GlobSelector | A.LayerSelector => n.kind === "GlobSelector" || n.kind === "LayerSelector");
    if (selector) {
      const call = lastOf(path, (n): n is CallExpr => n.kind === "CallExpr");
      const text = call ? selectorHover(selector, familyOf(analysis, call)) : null;
      if (text) return result(text, selector.range);
    }
    if (node.kind === "NumberLiteral" && node.percent) return result(`${node.raw} = ${formatNumber(node.value)}`, node.range);
    return null;
  }

  /** A model's summary, after where its reference resolved (local folder, Hugging Face cache snapshot, adapter). */
  private model(absPath: string, title?: string, source?: string): string {
    const from = source ? `\n\nresolved from ${source}` : "";
    try {
      return modelSummary(this.headers.get(absPath), title) + from;
    } catch (e) {
      return `**${title ?? "model"}** — \`${absPath}\`\n\n${(e as Error).message}${from}`;
    }
  }

  private binding(b: Binding, checked: CheckedRecipe): string {
    const source = b.statement.value ? checked.text.slice(b.statement.value.range.start.offset, b.statement.value.range.end.offset) : "";
    const head = fence(`${b.name}: ${typeLabel(b.value)}`) + (source ? `\n\n\`${b.name} = ${clip(source.replace(/\s+/g, " "), 160)}\`` : "");
    const atom = soleAtom(b.value);
    if (atom?.kind === "load") return `${head}\n\n${this.model(atom.path, b.name, atom.source)}`;
    if (atom?.kind === "merge") {
      const spec = lookupFunction(atom.method);
      return `${head}\n\n${spec?.summary ?? ""}${this.mergeParams(atom.call, checked.analysis)}`;
    }
    return head;
  }

  private call(spec: FunctionSpec, call: CallExpr, analysis: Analysis, text: string): string {
    let doc = functionDoc(spec);
    if (spec.kind === "merge") doc += this.mergeParams(call, analysis);
    if (spec.kind === "source") {
      const load = analysis.atoms.find((a) => a.kind === "load" && a.call === call);
      if (load?.kind === "load") doc += `\n\n---\n\n${this.model(load.path, clip(text.slice(call.range.start.offset, call.range.end.offset), 80), load.source)}`;
    }
    return doc;
  }

  /** "Resolved parameters" section: per layer group when the models' headers are known. */
  private mergeParams(call: CallExpr, analysis: Analysis): string {
    const atom = mergeAtomOf(analysis.atoms, call);
    if (!atom) return "";
    const family = atom.family;
    if (family) return `\n\n---\n\n**Resolved parameters** (${family.tensors.size} tensors, ${family.layerCount} layers)\n\n${layerParamsTable(atom.params, family)}`;
    const values = Object.entries(atom.params.values).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    return `\n\n---\n\n**Parameters**: ${values.join(", ")}${atom.params.where.length ? ` (+ ${atom.params.where.length} where clause${atom.params.where.length === 1 ? "" : "s"}; model headers unavailable)` : ""}`;
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function parameterDoc(spec: FunctionSpec | undefined, name: string): string | null {
  const p = spec?.params.find((q) => q.name === name);
  if (!spec || !p) return null;
  return `${fence(`${spec.name}(… ${p.name}: …)`)}\n\n\`${p.name}\`${paramFacts(p)}: ${p.doc}`;
}

export function familyOf(analysis: Analysis, call: CallExpr): ModelFamily | null {
  const info = analysis.calls.find((c) => c.call === call);
  if (info?.family) return info.family;
  const atom = mergeAtomOf(analysis.atoms, call);
  return atom?.family ?? null;
}

function selectorHover(selector: A.GlobSelector | A.LayerSelector, family: ModelFamily | null): string | null {
  if (!family) return null;
  const sel =
    selector.kind === "GlobSelector"
      ? { kind: "glob" as const, pattern: selector.pattern.value }
      : selector.from
        ? { kind: "layers" as const, from: selector.from.value, to: (selector.to ?? selector.from).value }
        : null;
  if (!sel) return null;
  const matched = [...family.tensors.keys()].filter((t) => selectorMatches(sel, t));
  const shown = matched.slice(0, 8).map((t) => `- \`${t}\``);
  if (matched.length > 8) shown.push(`- … and ${matched.length - 8} more`);
  return `**${matched.length} of ${family.tensors.size} tensors** match\n\n${shown.join("\n")}`;
}

/** The innermost node of the path that is a T. */
function lastOf<T extends AstNode>(path: AstNode[], is: (n: AstNode) => n is T): T | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (is(path[i]!)) return path[i] as T;
  return undefined;
}
