/** The VS Code language configuration (comments, brackets, auto-closing, words, indentation), from the lexer's tokens. */
import type { TokenType } from "chevrotain";
import * as T from "../../src/language/tokens.js";
import { charClass, escapeRegExp, leadingLiteral, literalOf, patternSource } from "./token-regex.js";

export interface AutoClosingPair {
  open: string;
  close: string;
  notIn?: string[];
}

export interface LanguageConfiguration {
  comments: { lineComment: string };
  brackets: [string, string][];
  autoClosingPairs: AutoClosingPair[];
  autoCloseBefore: string;
  surroundingPairs: [string, string][];
  wordPattern: string;
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
}

const bracketTokens: [TokenType, TokenType][] = [
  [T.LParen, T.RParen],
  [T.LBracket, T.RBracket],
  [T.LBrace, T.RBrace],
];

export function buildLanguageConfiguration(): LanguageConfiguration {
  const brackets = bracketTokens.map(([open, close]): [string, string] => [literalOf(open), literalOf(close)]);
  const comment = leadingLiteral(T.Comment);
  const quote = leadingLiteral(T.StringLiteral);
  const opens = charClass(brackets.map(([open]) => open));
  const closes = charClass(brackets.map(([, close]) => close));
  const separators = [T.Semicolon, T.Colon, T.Comma, T.Equals, T.DotDot].map(literalOf);
  return {
    comments: { lineComment: comment },
    brackets,
    autoClosingPairs: [
      ...brackets.map(([open, close]) => ({ open, close })),
      { open: quote, close: quote, notIn: ["string", "comment"] },
    ],
    // Close a bracket or quote only when the cursor is before one of these (or at the end of the line).
    autoCloseBefore: [...new Set([...separators, ...brackets.map(([, close]) => close), " ", "\n", "\t"].join(""))].join(""),
    surroundingPairs: [...brackets, [quote, quote]],
    // Double-click selects a whole name or number (`0.25`, `1e-4`, `20%`).
    wordPattern: `(?:${patternSource(T.NumberLiteral)})|(?:${patternSource(T.Identifier)})`,
    indentationRules: {
      // A line (outside a comment) that ends with an open bracket, maybe followed by a comment.
      increaseIndentPattern: `^(?:(?!${escapeRegExp(comment)}).)*${opens}\\s*(?:${escapeRegExp(comment)}.*)?$`,
      decreaseIndentPattern: `^\\s*${closes}`,
    },
  };
}
