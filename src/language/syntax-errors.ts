/** Turning lexer and parser errors into plain-word diagnostics (never Chevrotain's token dumps). */
import type { ILexingError, IToken } from "chevrotain";
import type { Position, Range } from "./ast.js";
import { realToken, tokenRange } from "./cst-to-ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { CstParseResult } from "./parser.js";
import { allTokens } from "./tokens.js";

const labels = new Map(allTokens.map((t) => [t.name, typeof t.LABEL === "string" ? t.LABEL : t.name]));
labels.set("Identifier", "a name");

function describeExpected(names: string[]): string {
  const words = [...new Set(names.map((n) => labels.get(n) ?? n))];
  if (words.length === 0) return "something else";
  if (words.length === 1) return words[0]!;
  return words.slice(0, -1).join(", ") + " or " + words[words.length - 1];
}

function describeFound(t: IToken): string {
  if (t.tokenType.name === "EOF") return "the end of the file";
  if (t.tokenType.name === "StringLiteral" || t.tokenType.name === "UnterminatedString") return `the string ${t.image}`;
  if (t.tokenType.name === "NumberLiteral") return `the number ${t.image}`;
  return `'${t.image}'`;
}

const OPENERS: Record<string, string> = { LParen: "RParen", LBracket: "RBracket", LBrace: "RBrace" };
const CLOSERS = new Set(Object.values(OPENERS));

interface Opener {
  token: IToken;
  before: IToken | undefined;
}

/** The brackets still open just before token index `upTo`, innermost last. */
function openBrackets(tokens: IToken[], upTo: number): Opener[] {
  const stack: Opener[] = [];
  for (let i = 0; i < upTo && i < tokens.length; i++) {
    const t = tokens[i]!;
    if (OPENERS[t.tokenType.name]) stack.push({ token: t, before: tokens[i - 1] });
    else if (CLOSERS.has(t.tokenType.name)) {
      const idx = stack.map((o) => OPENERS[o.token.tokenType.name]).lastIndexOf(t.tokenType.name);
      if (idx >= 0) stack.length = idx;
    }
  }
  return stack;
}

function whatOpened(o: Opener): string {
  const at = `${o.token.startLine}:${o.token.startColumn}`;
  switch (o.token.tokenType.name) {
    case "LParen":
      return o.before?.tokenType.name === "Identifier" ? `the call to ${o.before.image}() opened at ${at}` : `the parenthesis opened at ${at}`;
    case "LBracket":
      return `the list opened at ${at}`;
    default:
      return `the where block opened at ${at}`;
  }
}

/** Tokens that begin a value: after another value inside brackets, a comma is what is missing. */
const VALUE_STARTS = new Set(["Identifier", "NumberLiteral", "StringLiteral", "True", "False", "LBracket", "Layers"]);

const closerText: Record<string, string> = { RParen: ")", RBracket: "]", RBrace: "}" };

function pointAfter(t: IToken): Range {
  const r = tokenRange(t);
  return { start: r.end, end: r.end };
}

export function lexingDiagnostics(errors: ILexingError[], text: string): Diagnostic[] {
  return errors.map((e) => {
    const start: Position = { offset: e.offset, line: e.line ?? 1, column: e.column ?? 1 };
    const end: Position = { offset: e.offset + e.length, line: start.line, column: start.column + e.length };
    const chars = text.slice(e.offset, e.offset + e.length);
    const shown = chars.length === 1 ? `'${chars}'` : `'${chars.slice(0, 20)}'`;
    const code = chars.codePointAt(0) ?? 0;
    const hint = code < 32 || code > 126 ? ` (U+${code.toString(16).toUpperCase().padStart(4, "0")})` : "";
    return diagnostic("bad-character", "error", { start, end }, `unexpected character ${shown}${hint}: it is not part of the recipe language`, {
      fixes: [{ title: "Delete it", edits: [{ range: { start, end }, newText: "" }] }],
    });
  });
}

export function parserDiagnostics(result: CstParseResult, textEnd: Position): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<number>();
  // Recovery can report a cascade on the line of the first error; one error per line is what helps.
  const linesWithErrors = new Set<number>();
  const { tokens } = result;
  for (const err of result.errors) {
    const token = err.token;
    const isEof = !realToken(token) || token.tokenType.name === "EOF";
    let index = isEof ? tokens.length : tokens.findIndex((t) => t.startOffset === token.startOffset);
    if (index < 0) index = tokens.length;
    const prev = index > 0 ? tokens[index - 1] : undefined;
    const key = isEof ? -1 : token.startOffset;
    if (seen.has(key)) continue;
    seen.add(key);
    const here: Range = isEof ? (prev ? pointAfter(prev) : { start: textEnd, end: textEnd }) : tokenRange(token);
    const found = isEof ? "the end of the file" : describeFound(token);
    const { info } = err;
    const closer = info.expected.find((n) => CLOSERS.has(n));
    if (info.kind === "mismatch" && closer && info.expected.length === 1) {
      const opener = openBrackets(tokens, index)
        .reverse()
        .find((o) => OPENERS[o.token.tokenType.name] === closer);
      const ch = closerText[closer]!;
      const where = prev && (isEof || (token.startLine ?? 0) > (prev.startLine ?? 0)) ? pointAfter(prev) : here;
      if (linesWithErrors.has(where.start.line)) continue;
      linesWithErrors.add(where.start.line);
      const context = opener ? ` to close ${whatOpened(opener)}` : "";
      // A value right after a value inside (...) or [...] is most often a forgotten comma.
      const comma = where === here && closer !== "RBrace" && VALUE_STARTS.has(token.tokenType.name) && prev !== undefined && !OPENERS[prev.tokenType.name];
      const fixes = [{ title: `Insert '${ch}'`, edits: [{ range: { start: where.start, end: where.start }, newText: ch }] }];
      if (comma) fixes.unshift({ title: "Insert ','", edits: [{ range: pointAfter(prev), newText: "," }] });
      out.push(
        diagnostic("unclosed-bracket", "error", where, `expected '${ch}'${context}, but found ${found}${comma ? " (is a ',' missing before it?)" : ""}`, {
          fixes,
          ...(opener ? { related: [{ message: "opened here", range: tokenRange(opener.token) }] } : {}),
        }),
      );
      continue;
    }
    if (linesWithErrors.has(here.start.line)) continue;
    linesWithErrors.add(here.start.line);
    let message: string;
    if (info.kind === "not-all-input" || info.expected.includes("EOF")) {
      message = `unexpected ${found}: a statement is a binding (name = value) or an expression`;
    } else if (info.rule === "operand" || info.expected.includes("NumberLiteral")) {
      const after = prev ? ` after '${prev.image}'` : "";
      message = `expected a value (a number, string, name, call, list or '(')${after}, but found ${found}`;
    } else if (info.rule === "whereClause" && info.expected.includes("Layers")) {
      message = `expected a selector after 'where': a tensor-name pattern in quotes ("*.mlp.*") or layers N..M, but found ${found}`;
    } else if (info.expected.includes("Colon") && info.rule === "whereEntry") {
      message = `expected ':' after the parameter name in a where block (density: 0.4), but found ${found}`;
    } else {
      const after = prev ? ` after '${prev.image}'` : "";
      message = `expected ${describeExpected(info.expected)}${after}, but found ${found}`;
    }
    out.push(diagnostic("syntax-error", "error", here, message));
  }
  return out;
}
