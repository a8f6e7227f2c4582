/**
 * Inspection (Jupyter's shift-tab / `?`): documentation for the word at the cursor, from the
 * catalog for functions and parameters, from the analysis for bound names (their type, where they
 * were bound, and for models the facts in their headers). Inside a call's parentheses with no word
 * under the cursor, the function being called.
 */
import type { Binding } from "../language/analyzer.js";
import { functionDoc, lookupFunction, paramFacts, type FunctionSpec } from "../language/catalog.js";
import { typeName, valueText, type Value } from "../language/values.js";
import { cursorContext, wordAt } from "./token-context.js";

export interface Inspection {
  markdown: string;
  plain: string;
}

export interface InspectionSource {
  text: string;
  cursor: number;
  /** Bindings of the analyzed text, in order. */
  bindings: readonly Binding[];
  /** Extra lines about a bound value (e.g. a model's header facts), or null. */
  describeValue?: (binding: Binding) => string[] | null;
  /** Where a binding was made, in cell terms ("Cell In[2], line 1"). */
  describeBinding?: (binding: Binding) => string;
}

const KEYWORD_DOCS: Record<string, string> = {
  where: 'Per-tensor parameters after a merge call: `where "*.self_attn.*" { density: 0.4 }` or `where layers 0..3 { density: ramp(0.6, 0.2) }`. A later clause that matches a tensor overrides earlier ones.',
  layers: "A layer selector in a where clause: `layers 3` or `layers 0..7` (inclusive), matching tensors named `...layers.N....`.",
  true: "The boolean true.",
  false: "The boolean false.",
};

/** Markdown to plain text: code fences and backticks dropped, links as "text (url)". */
export function markdownToPlain(md: string): string {
  return md
    .split("\n")
    .filter((l) => !l.startsWith("```"))
    .join("\n")
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, "$1 ($2)")
    .replace(/`([^`]*)`/g, "$1");
}

function doc(markdown: string): Inspection {
  return { markdown, plain: markdownToPlain(markdown) };
}

function functionInspection(f: FunctionSpec): Inspection {
  return doc(functionDoc(f));
}

function bindingInspection(b: Binding, source: InspectionSource): Inspection {
  const v: Value = b.value;
  const lines = ["```mergelang", `${b.name}: ${v.type}`, "```", "", `${b.name} is ${typeName(v)}`];
  const where = source.describeBinding?.(b);
  if (where) lines[lines.length - 1] += `, bound in ${where}`;
  lines[lines.length - 1] += ".";
  const text = valueText(v);
  if (text !== null) lines.push("", `Value: \`${text}\``);
  if (b.statement.value) {
    const src = source.text.slice(b.statement.value.range.start.offset, b.statement.value.range.end.offset);
    lines.push("", "```mergelang", `${b.name} = ${src}`, "```");
  }
  const extra = source.describeValue?.(b);
  if (extra?.length) lines.push("", ...extra);
  return doc(lines.join("\n"));
}

/** The binding visible at `offset`: the last one made before it (rebinding shadows). */
function bindingAt(bindings: readonly Binding[], name: string, offset: number): Binding | undefined {
  let found: Binding | undefined;
  for (const b of bindings) if (b.name === name && b.declaration.range.start.offset <= offset) found = b;
  return found ?? bindings.find((b) => b.name === name);
}

export function inspectAt(source: InspectionSource): Inspection | null {
  const { text, cursor } = source;
  const word = wordAt(text, cursor);
  const ctx = cursorContext(text, word ? word.start : cursor);
  const inner = ctx.open[ctx.open.length - 1];
  const callee = inner?.callee ? lookupFunction(inner.callee) : undefined;
  if (word) {
    const after = text.slice(word.end).match(/^\s*(.)/)?.[1];
    // A parameter name: `density:` inside a call or a where block.
    if (callee && after === ":") {
      const p = callee.params.find((q) => q.name === word.word);
      if (p) return doc(`\`${callee.name}(..., ${p.name}: ...)\`${paramFacts(p)}\n\n${p.doc}`);
    }
    const binding = bindingAt(source.bindings, word.word, word.start);
    if (binding) return bindingInspection(binding, source);
    const f = lookupFunction(word.word);
    if (f) return functionInspection(f);
    const kw = KEYWORD_DOCS[word.word];
    if (kw) return doc(`\`${word.word}\`\n\n${kw}`);
  }
  if (callee) return functionInspection(callee);
  return null;
}

