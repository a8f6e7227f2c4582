/**
 * Jupyter's is_complete: whether a console should run the code or wait for another line. Code with
 * an open bracket, or ending in an operator, `=`, `,`, `:`, `where` or `..`, is incomplete; other
 * syntax errors make it invalid.
 */
import { parseRecipe } from "../language/parse.js";
import { recipeLexer } from "../language/tokens.js";
import { splitMagics } from "./magics.js";

export type Completeness = { status: "complete" } | { status: "incomplete"; indent: string } | { status: "invalid" };

const CONTINUES = new Set(["Plus", "Minus", "Star", "Slash", "Equals", "Comma", "Colon", "Where", "Layers", "DotDot"]);
const PAIRS: Record<string, string> = { RParen: "LParen", RBracket: "LBracket", RBrace: "LBrace" };

export function isComplete(cell: string): Completeness {
  const { code } = splitMagics(cell);
  const lexed = recipeLexer.tokenize(code);
  if (lexed.errors.length > 0) return { status: "invalid" };
  const stack: string[] = [];
  for (const t of lexed.tokens) {
    const name = t.tokenType.name;
    if (name === "UnterminatedString") return { status: "invalid" };
    if (name === "LParen" || name === "LBracket" || name === "LBrace") stack.push(name);
    const opener = PAIRS[name];
    if (opener) {
      if (stack[stack.length - 1] !== opener) return { status: "invalid" };
      stack.pop();
    }
  }
  const last = lexed.tokens[lexed.tokens.length - 1];
  if (stack.length > 0 || (last && CONTINUES.has(last.tokenType.name))) {
    return { status: "incomplete", indent: "  ".repeat(Math.max(1, stack.length)) };
  }
  return parseRecipe(code).diagnostics.some((d) => d.severity === "error") ? { status: "invalid" } : { status: "complete" };
}
