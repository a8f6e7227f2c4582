/** Text → AST + syntax diagnostics, in one pass that reports every syntax error of the file. */
import type { IToken } from "chevrotain";
import type { Position, Program } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import { compareDiagnostics, type Diagnostic } from "./diagnostics.js";
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

export function parseRecipe(text: string): ParseResult {
  const lexed = recipeLexer.tokenize(text);
  const comments = (lexed.groups["comments"] ?? []) as IToken[];
  const cst = parseTokens(lexed.tokens);
  const end = endPosition(text);
  const builder = new AstBuilder();
  const program = builder.program(cst.cst, comments, text.length, end);
  const diagnostics = [...lexingDiagnostics(lexed.errors, text), ...parserDiagnostics(cst, end), ...builder.diagnostics];
  diagnostics.sort(compareDiagnostics);
  return { program, tokens: lexed.tokens, comments, diagnostics };
}
