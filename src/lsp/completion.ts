/**
 * Completion: built-in functions with signature snippets, the parameters a call has not been given,
 * enum values, names bound before the cursor, model folders inside `model("...")`, tensor globs and
 * layer numbers in `where` selectors. Parses only the statement around the cursor; types and model
 * tensors come from the facts of the document's last check, which may be a keystroke old.
 */
import {
  Command,
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type Position,
  type Range,
} from "vscode-languageserver/node";
import { selectorMatches } from "../graph/params.js";
import { catalog, functionDoc, lookupFunction, paramFacts, signatureOf, type FunctionSpec, type ParamSpec } from "../language/catalog.js";
import { cursorContext, type CallSite, type CursorContext, type WhereSite } from "./cursor-context.js";
import { listModelPaths } from "./model-paths.js";
import { familyAt, type FamilyFacts, type RecipeFacts } from "./recipe-facts.js";
import { namesBoundBefore } from "./statement-window.js";
import { globSuggestions } from "./tensor-globs.js";

export interface CompletionRequest {
  text: string;
  offset: number;
  positionAt: (offset: number) => Position;
  /** The recipe's folder (model paths are relative to it). */
  recipeDir: string;
  /** Facts from the document's last check, possibly of an older version. */
  facts: RecipeFacts;
  triggerCharacter?: string;
}

type ScenarioKind = CursorContext["scenario"]["kind"];

/** What completionItem/resolve needs to fill in an item's documentation. */
export interface CompletionData {
  function: string;
}

/** Adds the documentation of a function item (formula, parameters, paper). */
export function resolveCompletion(item: CompletionItem): CompletionItem {
  const name = (item.data as Partial<CompletionData> | undefined)?.function;
  const spec = name ? lookupFunction(name) : undefined;
  return spec ? { ...item, documentation: { kind: MarkupKind.Markdown, value: functionDoc(spec) } } : item;
}

/** Scenarios a typed character may open the list for (letters always may). */
const TRIGGERS: Record<string, ScenarioKind[]> = {
  " ": ["argument-name", "argument-value", "where-selector", "layer-number", "where-entry", "where-value"],
  "(": ["argument-name"],
  ",": ["argument-name", "where-entry"],
  "{": ["where-entry"],
  ":": ["argument-value", "where-value"],
  '"': ["string"],
  "/": ["string"],
  ".": ["layer-number"],
};

export function complete(req: CompletionRequest): CompletionItem[] {
  const ctx = cursorContext(req.text, req.offset);
  const allowed = req.triggerCharacter ? TRIGGERS[req.triggerCharacter] : undefined;
  if (allowed && !allowed.includes(ctx.scenario.kind)) return [];
  return new Completer(req, ctx).items();
}

class Completer {
  private readonly wordRange: Range;

  constructor(
    private readonly req: CompletionRequest,
    private readonly ctx: CursorContext,
  ) {
    this.wordRange = this.range(ctx.wordStart, Math.max(ctx.wordEnd, req.offset));
  }

  private range(start: number, end: number): Range {
    return { start: this.req.positionAt(start), end: this.req.positionAt(end) };
  }

  items(): CompletionItem[] {
    const s = this.ctx.scenario;
    switch (s.kind) {
      case "comment":
        return [];
      case "string":
        return this.stringItems(s);
      case "argument-name":
        return [...this.parameterItems(s.call), ...this.expressionItems("1")];
      case "argument-value":
        return this.valueItems(s.param);
      case "where-selector":
        return this.selectorItems(s.where);
      case "layer-number":
        return this.layerItems(s.where, s.from);
      case "where-entry":
        return this.whereEntryItems(s.where);
      case "where-value":
        return this.valueItems(s.where.call?.spec?.params.find((p) => p.name === s.param));
      case "expression":
        return [...this.expressionItems("0"), ...(s.afterCall ? [this.whereKeyword()] : [])];
    }
  }

  // ---- names and functions ----

  private expressionItems(rank: string): CompletionItem[] {
    return [...this.nameItems(rank), ...this.functionItems(String(Number(rank) + 1))];
  }

  /** Functions' docs are long: they come with completionItem/resolve, for the item the user looks at. */
  private functionItems(rank: string): CompletionItem[] {
    return catalog.map((f) => ({
      label: f.name,
      kind: CompletionItemKind.Function,
      detail: signatureOf(f),
      data: { function: f.name } satisfies CompletionData,
      sortText: `${rank}_${f.name}`,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: this.wordRange, newText: callSnippet(f) },
      ...(f.name === "model" ? { command: Command.create("Suggest model folders", "editor.action.triggerSuggest") } : {}),
    }));
  }

  /** Names bound before the cursor: `name =` lines above the statement, and complete statements in it. */
  private nameItems(rank: string): CompletionItem[] {
    const { window, at } = this.ctx;
    const names = namesBoundBefore(this.req.text, window.start);
    const statements = window.parse.program.statements.filter((s) => s.range.start.offset < at);
    statements.forEach((s, i) => {
      if (s.kind !== "AssignStmt") return;
      const current = i === statements.length - 1 && (at <= s.range.end.offset || this.ctx.insideOpenBracket);
      if (!current) names.push(s.name.name);
    });
    const labels = this.latestLabels();
    const seen = new Set<string>();
    const items: CompletionItem[] = [];
    for (const name of names.reverse()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const label = labels.get(name);
      items.push({
        label: name,
        kind: CompletionItemKind.Variable,
        ...(label ? { detail: label } : {}),
        sortText: `${rank}_${name}`,
        textEdit: { range: this.wordRange, newText: name },
      });
    }
    return items;
  }

  /** Each name's type in the last check, from its binding declared before the cursor's statement. */
  private latestLabels(): Map<string, string> {
    const out = new Map<string, string>();
    const limit = this.ctx.window.start;
    for (const b of this.req.facts.bindings) if (b.offset < limit) out.set(b.name, b.label);
    return out;
  }

  // ---- calls ----

  private parameterItems(call: CallSite): CompletionItem[] {
    const spec = call.spec;
    if (!spec) return [];
    return spec.params
      .filter((p) => !p.variadic && !call.given.has(p.name))
      .map((p, i) => this.parameterItem(p, i, spec));
  }

  private parameterItem(p: ParamSpec, index: number, spec: FunctionSpec): CompletionItem {
    return {
      label: `${p.name}:`,
      filterText: p.name,
      kind: CompletionItemKind.Field,
      detail: `${spec.name}()${paramFacts(p)}`,
      documentation: { kind: MarkupKind.Markdown, value: p.doc },
      sortText: `0_${String(index).padStart(2, "0")}`,
      textEdit: { range: this.wordRange, newText: `${p.name}: ` },
      // Open the list again where there is something to choose from: "tensor" | "global", true | false.
      ...(p.choices || p.types[0] === "Bool" ? { command: Command.create("Suggest values", "editor.action.triggerSuggest") } : {}),
    };
  }

  private valueItems(param: ParamSpec | undefined): CompletionItem[] {
    if (param?.choices) {
      return param.choices.map((c, i) => ({
        label: JSON.stringify(c),
        kind: CompletionItemKind.EnumMember,
        detail: param.default === c ? "default" : param.name,
        sortText: `0_${i}`,
        textEdit: { range: this.wordRange, newText: JSON.stringify(c) },
      }));
    }
    if (param?.types[0] === "Bool") {
      return ["true", "false"].map((v, i) => ({
        label: v,
        kind: CompletionItemKind.Keyword,
        ...(String(param.default) === v ? { detail: "default" } : {}),
        sortText: `0_${i}`,
        textEdit: { range: this.wordRange, newText: v },
      }));
    }
    return this.expressionItems("0");
  }

  // ---- strings ----

  private stringItems(s: Extract<CursorContext["scenario"], { kind: "string" }>): CompletionItem[] {
    const role = s.role;
    const inside = this.range(s.contentStart, s.contentEnd);
    if (role.kind === "glob") return this.globItems(role.where, inside);
    if (role.kind !== "argument" || !role.param) return [];
    if (role.call.callee === "model" && role.param.name === "path") return this.pathItems(s.value, s.contentStart);
    if (role.param.choices) {
      return role.param.choices.map((c, i) => ({
        label: c,
        kind: CompletionItemKind.EnumMember,
        detail: role.param!.default === c ? "default" : role.param!.name,
        sortText: `0_${i}`,
        textEdit: { range: inside, newText: c },
      }));
    }
    return [];
  }

  private pathItems(typed: string, contentStart: number): CompletionItem[] {
    const listing = listModelPaths(this.req.recipeDir, typed);
    const range = this.range(contentStart + listing.folderLength, this.req.offset);
    return listing.entries.map((e, i) => {
      const folder = e.kind === "folder";
      return {
        label: e.name,
        kind: e.kind === "safetensors" ? CompletionItemKind.File : CompletionItemKind.Folder,
        detail: e.kind === "model-folder" ? "model folder" : e.kind === "safetensors" ? "safetensors file" : "folder",
        sortText: String(i).padStart(4, "0"),
        textEdit: { range, newText: folder ? `${e.name}/` : e.name },
        ...(folder ? { command: Command.create("Suggest model folders", "editor.action.triggerSuggest") } : {}),
      };
    });
  }

  // ---- where clauses ----

  /** The models' tensors the where clause's call works on (its own, else any model of the recipe). */
  private family(where: WhereSite): FamilyFacts | null {
    return familyAt(this.req.facts, where.call?.callee ?? null, where.call?.calleeOffset ?? null);
  }

  private globItems(where: WhereSite, range: Range, quoted = false): CompletionItem[] {
    const family = this.family(where);
    if (!family) return [];
    return globSuggestions(family.tensors).map((g, i) => ({
      label: quoted ? JSON.stringify(g.pattern) : g.pattern,
      kind: CompletionItemKind.Value,
      detail: `${g.count} tensor${g.count === 1 ? "" : "s"}, e.g. ${g.example}`,
      sortText: String(i).padStart(4, "0"),
      textEdit: { range, newText: quoted ? JSON.stringify(g.pattern) : g.pattern },
    }));
  }

  private selectorItems(where: WhereSite): CompletionItem[] {
    const family = this.family(where);
    const last = family && family.layerCount > 0 ? family.layerCount - 1 : 3;
    const layers: CompletionItem = {
      label: "layers",
      kind: CompletionItemKind.Keyword,
      detail: family ? `layers 0..${last} exist` : "a range of layers",
      sortText: "0",
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: this.wordRange, newText: `layers \${1:0}..\${2:${last}}` },
    };
    return [layers, ...this.globItems(where, this.wordRange, true)];
  }

  private layerItems(where: WhereSite, from: number | null): CompletionItem[] {
    const family = this.family(where);
    if (!family || family.layerCount <= 0) return [];
    const items: CompletionItem[] = [];
    for (let n = from ?? 0; n < family.layerCount; n++) {
      let count = 0;
      for (const t of family.tensors) if (selectorMatches({ kind: "layers", from: n, to: n }, t)) count++;
      items.push({
        label: String(n),
        kind: CompletionItemKind.Value,
        detail: `layer ${n}: ${count} tensor${count === 1 ? "" : "s"}`,
        sortText: String(n).padStart(6, "0"),
        textEdit: { range: this.wordRange, newText: String(n) },
      });
    }
    return items;
  }

  private whereEntryItems(where: WhereSite): CompletionItem[] {
    const spec = where.call?.spec;
    if (!spec) return [];
    return spec.params
      .filter((p) => p.perTensor && !where.given.has(p.name))
      .map((p, i) => this.parameterItem(p, i, spec));
  }

  private whereKeyword(): CompletionItem {
    return {
      label: "where",
      kind: CompletionItemKind.Keyword,
      detail: "parameters for some tensors or layers",
      sortText: "0_where",
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: this.wordRange, newText: 'where "${1:*.self_attn.*}" { ${2:density}: ${3:0.4} }' },
    };
  }
}

/** `ties(${1:models}, base: ${2:base})`: the arguments a call cannot do without. */
export function callSnippet(f: FunctionSpec): string {
  const parts: string[] = [];
  let n = 1;
  for (const p of f.params) {
    if (p.variadic) {
      const count = Math.max(1, p.minCount ?? 1);
      if (p.minCount === 0) {
        parts.push(`\${${n++}}`);
        continue;
      }
      for (let i = 0; i < count; i++) parts.push(`\${${n++}:${count === 1 ? p.name : ["a", "b", "c", "d"][i] ?? p.name}}`);
    } else if (p.positional && !p.optional && p.default === undefined) {
      parts.push(p.types[0] === "String" ? `"\${${n++}}"` : `\${${n++}:${p.name}}`);
    } else if (!p.positional && !p.optional && p.default === undefined) {
      parts.push(`${p.name}: \${${n++}:${p.name}}`);
    }
  }
  return `${f.name}(${parts.join(", ")})$0`;
}
