/**
 * Where the cursor is, read from the tokens before it (robust on half-typed code, where the
 * parser's tree is at its most approximate): the call or where block it is in, the parameter a value
 * is being given for, and the word being typed. Completion and inspection share it; the language
 * server may reuse it too.
 */
import type { IToken } from "chevrotain";
import { recipeLexer, tokenEndOffset } from "../language/tokens.js";

export interface OpenCall {
  /** The function called (the identifier before `(`), or null for a parenthesis or list. */
  callee: string | null;
  bracket: "(" | "[" | "{";
  /** Named arguments already given in this call (or where block). */
  given: Set<string>;
}

export interface CursorContext {
  /** The identifier characters just before the cursor, and where they start. */
  prefix: string;
  prefixStart: number;
  /** Open brackets around the cursor, innermost last. For `{`, callee is the call the where clause follows. */
  open: OpenCall[];
  /** The last complete token before the word being typed, if any. */
  previous: IToken | undefined;
  /** For a value being typed after `name:`, that parameter's name. */
  valueOf: string | null;
  /** Inside a string: its opening quote's offset and the characters typed after it. */
  string: { start: number; typed: string } | null;
  /** The word right after `where`? */
  afterWhere: boolean;
}

const IDENT_TAIL = /[A-Za-z_][A-Za-z0-9_]*$/;

export function cursorContext(text: string, cursor: number): CursorContext {
  const before = text.slice(0, cursor);
  const tokens = recipeLexer.tokenize(before).tokens;
  let string: CursorContext["string"] = null;
  let prefix = "";
  let prefixStart = cursor;
  let last = tokens[tokens.length - 1];
  if (last && tokenEndOffset(last) === cursor && (last.tokenType.name === "UnterminatedString" || last.tokenType.name === "StringLiteral")) {
    const closed = last.tokenType.name === "StringLiteral" && last.image.length >= 2 && last.image.endsWith('"') && !last.image.endsWith('\\"');
    if (!closed) {
      string = { start: last.startOffset, typed: last.image.slice(1) };
      tokens.pop();
    }
  }
  if (!string) {
    const m = IDENT_TAIL.exec(before);
    if (m && last && tokenEndOffset(last) === cursor && last.startOffset === cursor - m[0].length) {
      prefix = m[0];
      prefixStart = cursor - prefix.length;
      tokens.pop();
    }
  }
  last = tokens[tokens.length - 1];

  const open: OpenCall[] = [];
  let lastClosedCall: string | null = null;
  let whereCall: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const name = t.tokenType.name;
    if (name === "LParen") {
      const prev = tokens[i - 1];
      open.push({ callee: prev?.tokenType.name === "Identifier" ? prev.image : null, bracket: "(", given: new Set() });
    } else if (name === "LBracket") {
      open.push({ callee: null, bracket: "[", given: new Set() });
    } else if (name === "LBrace") {
      open.push({ callee: whereCall, bracket: "{", given: new Set() });
    } else if (name === "RParen" || name === "RBracket" || name === "RBrace") {
      const closed = open.pop();
      if (name === "RParen") lastClosedCall = closed?.callee ?? null;
      if (name === "RBrace") lastClosedCall = whereCall;
    } else if (name === "Where") {
      whereCall = lastClosedCall;
    } else if (name === "Colon") {
      const prev = tokens[i - 1];
      if (prev?.tokenType.name === "Identifier") open[open.length - 1]?.given.add(prev.image);
    }
  }
  let valueOf: string | null = null;
  if (last?.tokenType.name === "Colon") {
    const named = tokens[tokens.length - 2];
    if (named?.tokenType.name === "Identifier") valueOf = named.image;
  }
  return { prefix, prefixStart, open, previous: last, valueOf, string, afterWhere: last?.tokenType.name === "Where" };
}

/** The identifier the cursor is on or just after: its text and range, or null. */
export function wordAt(text: string, cursor: number): { word: string; start: number; end: number } | null {
  let start = Math.min(cursor, text.length);
  let end = start;
  const isWord = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
  while (start > 0 && isWord(text[start - 1])) start--;
  while (end < text.length && isWord(text[end])) end++;
  const word = text.slice(start, end);
  return /^[A-Za-z_]/.test(word) ? { word, start, end } : null;
}
