/** Text → AST + syntax diagnostics, in one pass that reports every syntax error of the file. */
import type { IToken } from "chevrotain";
import type { Position, Program } from "./ast.js";
import { AstBuilder, tokenRange } from "./cst-to-ast.js";
import { compareDiagnostics, diagnostic, type Diagnostic } from "./diagnostics.js";
import { parseTokens } from "./parser.js";
import { lexingDiagnostics, parserDiagnostics } from "./syntax-errors.js";
import { recipeLexer } from "./tokens.js";

export interface ParseResult {
  program: Program;
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
}

/** The position just after the last character of `text`. */
export function endPosition(text: string): Position {
  let line = 1;
  let lastBreak = -1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
    line++;
    lastBreak = i;
  }
  return { offset: text.length, line, column: text.length - lastBreak };
}

const MAX_DEPTH = 100;

/**
 * Brackets nested a few hundred deep exhaust the parser's stack (its error recovery recurses per
 * level): such a file gets one diagnostic at the first bracket past MAX_DEPTH and no statements.
 */
function tooDeep(tokens: IToken[], comments: IToken[], text: string, end: Position): ParseResult {
  let depth = 0;
  let at: IToken | undefined = tokens[0];
  for (const t of tokens) {
    const k = t.tokenType.name;
    if (k === "LParen" || k === "LBracket" || k === "LBrace") depth++;
    else if (k === "RParen" || k === "RBracket" || k === "RBrace") depth = Math.max(0, depth - 1);
    if (depth > MAX_DEPTH) {
      at = t;
      break;
    }
  }
  const start = { offset: 0, line: 1, column: 1 };
  const range = at ? tokenRange(at) : { start, end: start };
  return {
    program: { kind: "Program", statements: [], comments: comments.map((c) => ({ text: c.image, range: tokenRange(c) })), range: { start, end: text.length ? end : start } },
    tokens,
    comments,
    diagnostics: [diagnostic("syntax-error", "error", range, `brackets nest too deeply here (more than ${MAX_DEPTH} levels) for the recipe to be read`)],
  };
}

export function parseRecipe(text: string): ParseResult {
  const lexed = recipeLexer.tokenize(text);
  const comments = (lexed.groups["comments"] ?? []) as IToken[];
  const end = endPosition(text);
  let cst;
  let program;
  const builder = new AstBuilder();
  try {
    cst = parseTokens(lexed.tokens, builder.buildStatement);
    program = builder.program(cst.cst, comments, text.length, end);
  } catch (e) {
    if (e instanceof RangeError) return tooDeep(lexed.tokens, comments, text, end);
    throw e;
  }
  const diagnostics = [...lexingDiagnostics(lexed.errors, text), ...parserDiagnostics(cst, end), ...builder.diagnostics];
  diagnostics.sort(compareDiagnostics);
  return { program, tokens: lexed.tokens, comments, diagnostics };
}
