/** Semantic tokens: every lexer token, with identifiers classified by the analysis. */
import type { IToken } from "chevrotain";
import type { SemanticTokensLegend } from "vscode-languageserver/node";
import type { Analysis } from "../language/analyzer.js";
import { walk } from "../language/ast.js";
import { lookupFunction } from "../language/catalog.js";
import type { ParseResult } from "../language/parse.js";

export const tokenTypes = ["function", "variable", "parameter", "keyword", "number", "string", "comment", "operator"] as const;
export const tokenModifiers = ["declaration", "defaultLibrary", "readonly"] as const;

type TokenType = (typeof tokenTypes)[number];
type TokenModifier = (typeof tokenModifiers)[number];

export const semanticLegend: SemanticTokensLegend = { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] };

interface Classified {
  type: TokenType;
  modifiers: TokenModifier[];
}

const BY_TOKEN: Record<string, TokenType> = {
  Where: "keyword",
  Layers: "keyword",
  True: "keyword",
  False: "keyword",
  NumberLiteral: "number",
  StringLiteral: "string",
  UnterminatedString: "string",
  Plus: "operator",
  Minus: "operator",
  Star: "operator",
  Slash: "operator",
  DotDot: "operator",
  Equals: "operator",
};

/** What each identifier is, by its start offset. */
function classifyIdentifiers(analysis: Analysis): Map<number, Classified> {
  const out = new Map<number, Classified>();
  const bound = new Set(analysis.bindings.map((b) => b.declaration));
  const referenced = new Set(analysis.bindings.flatMap((b) => b.references.map((r) => r.range.start.offset)));
  walk(analysis.program, (n) => {
    switch (n.kind) {
      case "AssignStmt":
        if (bound.has(n.name)) out.set(n.name.range.start.offset, { type: "variable", modifiers: ["declaration"] });
        break;
      case "NameRef": {
        const resolved = analysis.resolved.has(n);
        out.set(n.range.start.offset, resolved || !lookupFunction(n.name) ? { type: "variable", modifiers: [] } : { type: "function", modifiers: ["defaultLibrary"] });
        break;
      }
      case "CallExpr": {
        const callsBinding = referenced.has(n.callee.range.start.offset);
        out.set(n.callee.range.start.offset, callsBinding ? { type: "variable", modifiers: [] } : { type: "function", modifiers: lookupFunction(n.callee.name) ? ["defaultLibrary"] : [] });
        break;
      }
      case "Argument":
        if (n.name) out.set(n.name.range.start.offset, { type: "parameter", modifiers: [] });
        break;
      case "WhereEntry":
        out.set(n.name.range.start.offset, { type: "parameter", modifiers: [] });
        break;
      default:
        break;
    }
  });
  return out;
}

/** The LSP's relative encoding: line delta, start delta, length, type index, modifier bits. */
export function semanticTokens(parse: ParseResult, analysis: Analysis): number[] {
  const ids = classifyIdentifiers(analysis);
  const all: { token: IToken; c: Classified }[] = [];
  for (const t of parse.tokens) {
    const k = t.tokenType.name;
    if (k === "Identifier") all.push({ token: t, c: ids.get(t.startOffset) ?? { type: "variable", modifiers: [] } });
    else if (BY_TOKEN[k]) all.push({ token: t, c: { type: BY_TOKEN[k]!, modifiers: [] } });
  }
  for (const t of parse.comments) all.push({ token: t, c: { type: "comment", modifiers: [] } });
  all.sort((a, b) => a.token.startOffset - b.token.startOffset);
  const data: number[] = [];
  let line = 0;
  let char = 0;
  for (const { token, c } of all) {
    const l = (token.startLine ?? 1) - 1;
    const ch = (token.startColumn ?? 1) - 1;
    const length = token.image.length; // tokens never span lines
    if (length <= 0) continue;
    const mods = c.modifiers.reduce((bits, m) => bits | (1 << tokenModifiers.indexOf(m)), 0);
    data.push(l - line, l === line ? ch - char : ch, length, tokenTypes.indexOf(c.type), mods);
    line = l;
    char = ch;
  }
  return data;
}
