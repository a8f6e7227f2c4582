/**
 * Completion for notebook cells, from the language's own data: bound names (with their types),
 * functions, a call's parameters (not yet given), where-block parameters, enum choices inside
 * strings, `true`/`false`, and model folders inside `model("...")`.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { catalog, lookupFunction, signatureOf, type FunctionSpec, type ParamSpec } from "../language/catalog.js";
import { cursorContext, type CursorContext } from "./token-context.js";

export type CompletionKind = "variable" | "function" | "parameter" | "keyword" | "value" | "path";

export interface CompletionItem {
  /** Text that replaces [start, end). */
  text: string;
  kind: CompletionKind;
  /** Type or signature shown next to the item. */
  detail: string;
}

export interface Completion {
  items: CompletionItem[];
  /** Offsets in the text passed in. */
  start: number;
  end: number;
}

export interface NameInfo {
  name: string;
  /** "Model", "Delta", "Number", ... */
  type: string;
}

export interface CompletionSource {
  text: string;
  cursor: number;
  names: readonly NameInfo[];
  /** Folder relative model paths resolve against. */
  cwd: string;
}

const KEYWORDS = ["true", "false"];

function valueItems(ctx: CursorContext, names: readonly NameInfo[]): CompletionItem[] {
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (let i = names.length - 1; i >= 0; i--) {
    const n = names[i]!;
    if (seen.has(n.name)) continue;
    seen.add(n.name);
    items.push({ text: n.name, kind: "variable", detail: n.type });
  }
  for (const f of catalog) if (!seen.has(f.name)) items.push({ text: f.name, kind: "function", detail: signatureOf(f) });
  for (const k of KEYWORDS) items.push({ text: k, kind: "keyword", detail: "Bool" });
  return items.filter((i) => i.text.startsWith(ctx.prefix));
}

function paramItems(spec: FunctionSpec, given: Set<string>, prefix: string, onlyPerTensor: boolean): CompletionItem[] {
  return spec.params
    .filter((p) => !p.variadic && !given.has(p.name) && (!onlyPerTensor || p.perTensor) && p.name.startsWith(prefix))
    .map((p) => ({ text: `${p.name}: `, kind: "parameter" as const, detail: paramDetail(p) }));
}

function paramDetail(p: ParamSpec): string {
  const d = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : "";
  return `${p.types[0]}${d}`;
}

/** The parameter the cursor gives a value for (named, or the next positional one). */
function paramFor(spec: FunctionSpec | undefined, name: string | null): ParamSpec | undefined {
  if (!spec || !name) return undefined;
  return spec.params.find((p) => p.name === name);
}

/** Folders and .safetensors files under the typed path (relative to `cwd`). */
function pathItems(typed: string, cwd: string): CompletionItem[] {
  const slash = typed.lastIndexOf("/");
  const dirPart = slash >= 0 ? typed.slice(0, slash + 1) : "";
  const namePart = slash >= 0 ? typed.slice(slash + 1) : typed;
  const dir = resolve(cwd, dirPart || ".");
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const items: CompletionItem[] = [];
  for (const e of entries.sort()) {
    if (!e.startsWith(namePart) || (e.startsWith(".") && !namePart.startsWith("."))) continue;
    let isDir = false;
    try {
      isDir = statSync(join(dir, e)).isDirectory();
    } catch {
      continue;
    }
    if (!isDir && !e.endsWith(".safetensors")) continue;
    const isModel = isDir && hasWeights(join(dir, e));
    items.push({ text: dirPart + e + (isDir && !isModel ? "/" : ""), kind: "path", detail: isModel ? "model folder" : isDir ? "folder" : "safetensors file" });
  }
  return items;
}

function hasWeights(dir: string): boolean {
  try {
    return readdirSync(dir).some((f) => f === "model.safetensors" || f === "model.safetensors.index.json");
  } catch {
    return false;
  }
}

export function complete(source: CompletionSource): Completion {
  const { text, cursor } = source;
  const ctx = cursorContext(text, cursor);
  const inner = ctx.open[ctx.open.length - 1];
  const spec = inner?.callee ? lookupFunction(inner.callee) : undefined;

  if (ctx.string) {
    const start = ctx.string.start + 1;
    const param = paramFor(spec, ctx.valueOf);
    if (param?.choices) {
      const items = param.choices.filter((c) => c.startsWith(ctx.string!.typed)).map((c) => ({ text: `${c}"`, kind: "value" as const, detail: param.name }));
      return { items, start, end: cursor };
    }
    const firstArg = ctx.previous?.tokenType.name === "LParen";
    if (spec?.name === "model" && (firstArg || ctx.valueOf === "path")) {
      return { items: pathItems(ctx.string.typed, source.cwd), start, end: cursor };
    }
    return { items: [], start: cursor, end: cursor };
  }

  const start = ctx.prefixStart;
  const prev = ctx.previous?.tokenType.name;
  if (ctx.afterWhere) {
    return { items: "layers".startsWith(ctx.prefix) ? [{ text: "layers ", kind: "keyword", detail: "layer range" }] : [], start, end: cursor };
  }
  if (inner?.bracket === "{" && spec && (prev === "LBrace" || prev === "Comma")) {
    return { items: paramItems(spec, inner.given, ctx.prefix, true), start, end: cursor };
  }
  if (ctx.valueOf && spec) {
    const param = paramFor(spec, ctx.valueOf);
    if (param?.choices) {
      const items = param.choices.map((c) => ({ text: `"${c}"`, kind: "value" as const, detail: param.name }));
      return { items: ctx.prefix ? items.filter((i) => i.text.slice(1).startsWith(ctx.prefix)) : items, start, end: cursor };
    }
    if (param?.types[0] === "Bool") return { items: KEYWORDS.filter((k) => k.startsWith(ctx.prefix)).map((k) => ({ text: k, kind: "keyword", detail: "Bool" })), start, end: cursor };
  }
  const items: CompletionItem[] = [];
  if (inner?.bracket === "(" && spec && (prev === "LParen" || prev === "Comma")) items.push(...paramItems(spec, inner.given, ctx.prefix, false));
  items.push(...valueItems(ctx, source.names));
  return { items, start, end: cursor };
}

