/**
 * What the cursor is in, for completion and signature help: found from the recovered AST of the
 * statement around the cursor and the tokens just before it (the open brackets, the previous token).
 */
import type { IToken } from "chevrotain";
import { tokenEndOffset } from "../language/tokens.js";
import type * as A from "../language/ast.js";
import { walk } from "../language/ast.js";
import { lookupFunction, type FunctionSpec, type ParamSpec } from "../language/catalog.js";
import { statementWindow, type StatementWindow } from "./statement-window.js";

/** A call whose argument list holds the cursor. */
export interface CallSite {
  callee: string;
  spec: FunctionSpec | undefined;
  /** Absolute offset of the callee name. */
  calleeOffset: number;
  /** The call in the window's AST (offsets relative to the window), when recovery kept it. */
  node: A.CallExpr | null;
  /** Parameters already given, not counting the argument at the cursor. */
  given: Set<string>;
  /** Positional arguments before the cursor's argument. */
  positionalIndex: number;
  /** The name of the cursor's argument when it is written `name: ...`. */
  argName: string | null;
}

/** A where clause whose selector or block holds the cursor. */
export interface WhereSite {
  clause: A.WhereClause | null;
  call: CallSite | null;
  /** Entries already set in the block, not counting the one at the cursor. */
  given: Set<string>;
}

export type StringRole =
  | { kind: "argument"; call: CallSite; param: ParamSpec | undefined }
  | { kind: "glob"; where: WhereSite }
  | { kind: "where-value"; where: WhereSite; param: string }
  | { kind: "other" };

export type Scenario =
  | { kind: "comment" }
  | { kind: "string"; role: StringRole; contentStart: number; contentEnd: number; value: string }
  | { kind: "argument-name"; call: CallSite }
  | { kind: "argument-value"; call: CallSite; param: ParamSpec | undefined }
  | { kind: "where-selector"; where: WhereSite }
  | { kind: "layer-number"; where: WhereSite; from: number | null }
  | { kind: "where-entry"; where: WhereSite }
  | { kind: "where-value"; where: WhereSite; param: string }
  | { kind: "expression"; call: CallSite | null; afterCall: boolean };

export interface CursorContext {
  scenario: Scenario;
  /** Absolute range of the word being typed at the cursor (empty at the cursor when none). */
  wordStart: number;
  wordEnd: number;
  /** The open call holding the cursor, if any (for signature help), even inside nested brackets of it. */
  call: CallSite | null;
  window: StatementWindow;
  /** The cursor relative to the window. */
  at: number;
  /** Whether the statement around the cursor is still open at the cursor (unclosed brackets). */
  insideOpenBracket: boolean;
}

const WORD_TOKENS = new Set(["Identifier", "Where", "Layers", "True", "False"]);
const OPENERS: Record<string, string> = { RParen: "LParen", RBracket: "LBracket", RBrace: "LBrace" };

const kind = (t: IToken | undefined): string => t?.tokenType.name ?? "";
const tokenEnd = tokenEndOffset;

function isStringToken(t: IToken): boolean {
  const k = kind(t);
  return k === "StringLiteral" || k === "UnterminatedString";
}

export function cursorContext(text: string, offset: number): CursorContext {
  const window = statementWindow(text, offset);
  const at = offset - window.start;
  const { tokens, comments, program } = window.parse;
  const base = { window, at };

  for (const c of comments) {
    if (c.startOffset < at && at <= tokenEnd(c)) {
      return { ...base, scenario: { kind: "comment" }, wordStart: offset, wordEnd: offset, call: null, insideOpenBracket: false };
    }
  }

  // The tokens before the cursor; a word or number touching the cursor is what is being typed.
  let i = 0;
  while (i < tokens.length && tokenEnd(tokens[i]!) <= at) i++;
  let current = tokens[i] && tokens[i]!.startOffset < at ? tokens[i] : undefined; // holds the cursor strictly inside
  let before = tokens.slice(0, i);
  let word: IToken | undefined;
  const last = before[before.length - 1];
  if (current && !isStringToken(current) && (WORD_TOKENS.has(kind(current)) || kind(current) === "NumberLiteral")) {
    word = current;
    current = undefined;
  } else if (!current && last && tokenEnd(last) === at && (WORD_TOKENS.has(kind(last)) || kind(last) === "NumberLiteral")) {
    word = last;
    before = before.slice(0, -1);
  }
  // An unterminated string ends at the end of its line: the cursor right after it is still inside.
  if (!current && last && kind(last) === "UnterminatedString" && tokenEnd(last) === at) {
    current = last;
    before = before.slice(0, -1);
  }
  const wordStart = word ? window.start + word.startOffset : offset;
  const wordEnd = word ? window.start + tokenEnd(word) : offset;

  const open = openBrackets(before);
  const sites = new Sites(program, tokens, window.start, at);
  const call = innermostCall(open, before, sites);
  const prev = before[before.length - 1];
  const prevIndex = before.length - 1;
  const result = (scenario: Scenario): CursorContext => ({ ...base, scenario, wordStart, wordEnd, call: call?.site ?? null, insideOpenBracket: open.length > 0 });

  if (current && isStringToken(current)) {
    const contentStart = window.start + current.startOffset + 1;
    const closed = kind(current) === "StringLiteral";
    const contentEnd = window.start + tokenEnd(current) - (closed ? 1 : 0);
    const value = text.slice(contentStart, offset);
    return result({ kind: "string", role: stringRole(prev, before, open, sites), contentStart, contentEnd, value });
  }

  // Where selectors: `where |`, `where layers |`, `where layers 2..|`.
  if (kind(prev) === "Where") return result({ kind: "where-selector", where: sites.whereAt(prev!) });
  if (kind(prev) === "Layers" && kind(before[prevIndex - 1]) === "Where") {
    return result({ kind: "layer-number", where: sites.whereAt(before[prevIndex - 1]!), from: null });
  }
  if (kind(prev) === "DotDot" && kind(before[prevIndex - 2]) === "Layers" && kind(before[prevIndex - 3]) === "Where") {
    const from = Number(before[prevIndex - 1]!.image);
    return result({ kind: "layer-number", where: sites.whereAt(before[prevIndex - 3]!), from: Number.isFinite(from) ? from : null });
  }

  const inner = open[open.length - 1];
  if (inner && kind(inner.token) === "LBrace") {
    const where = sites.whereOfBlock(inner.index, before);
    if (kind(prev) === "Colon" && kind(before[prevIndex - 1]) === "Identifier") {
      return result({ kind: "where-value", where, param: before[prevIndex - 1]!.image });
    }
    if (kind(prev) === "LBrace" || kind(prev) === "Comma" || !isOperatorOrOpener(prev)) return result({ kind: "where-entry", where });
    return result({ kind: "expression", call: null, afterCall: false });
  }
  if (inner && kind(inner.token) === "LParen" && call && inner.index === call.openIndex) {
    if (kind(prev) === "LParen" || kind(prev) === "Comma") return result({ kind: "argument-name", call: call.site });
    if (kind(prev) === "Colon" && kind(before[prevIndex - 1]) === "Identifier") {
      const name = before[prevIndex - 1]!.image;
      return result({ kind: "argument-value", call: call.site, param: call.site.spec?.params.find((p) => p.name === name) });
    }
  }
  const afterCall = open.length === 0 && (kind(prev) === "RParen" || kind(prev) === "RBrace");
  return result({ kind: "expression", call: call?.site ?? null, afterCall });
}

function isOperatorOrOpener(t: IToken | undefined): boolean {
  return ["Plus", "Minus", "Star", "Slash", "LParen", "LBracket", "Colon", "Equals"].includes(kind(t));
}

interface OpenBracket {
  token: IToken;
  index: number;
}

/** Brackets still open after `tokens`, outermost first. A stray closer pops back to its opener. */
function openBrackets(tokens: IToken[]): OpenBracket[] {
  const stack: OpenBracket[] = [];
  tokens.forEach((token, index) => {
    const k = kind(token);
    if (k === "LParen" || k === "LBracket" || k === "LBrace") stack.push({ token, index });
    else if (OPENERS[k]) {
      const j = stack.map((s) => kind(s.token)).lastIndexOf(OPENERS[k]!);
      if (j >= 0) stack.length = j;
    }
  });
  return stack;
}

/** The innermost open `name(` around the cursor. */
function innermostCall(open: OpenBracket[], before: IToken[], sites: Sites): { site: CallSite; openIndex: number; node: A.CallExpr | null } | null {
  for (let j = open.length - 1; j >= 0; j--) {
    const o = open[j]!;
    if (kind(o.token) !== "LParen") continue;
    const name = before[o.index - 1];
    if (kind(name) !== "Identifier") continue;
    const site = sites.callAt(name!);
    return { site, openIndex: o.index, node: site.node };
  }
  return null;
}

function stringRole(prev: IToken | undefined, before: IToken[], open: OpenBracket[], sites: Sites): StringRole {
  if (kind(prev) === "Where") return { kind: "glob", where: sites.whereAt(prev!) };
  const inner = open[open.length - 1];
  if (!inner) return { kind: "other" };
  const prevIndex = before.length - 1;
  if (kind(inner.token) === "LBrace") {
    if (kind(prev) === "Colon" && kind(before[prevIndex - 1]) === "Identifier") {
      return { kind: "where-value", where: sites.whereOfBlock(inner.index, before), param: before[prevIndex - 1]!.image };
    }
    return { kind: "other" };
  }
  if (kind(inner.token) !== "LParen" || kind(before[inner.index - 1]) !== "Identifier") return { kind: "other" };
  const call = sites.callAt(before[inner.index - 1]!);
  const spec = call.spec;
  if (kind(prev) === "Colon" && kind(before[prevIndex - 1]) === "Identifier") {
    const name = before[prevIndex - 1]!.image;
    return { kind: "argument", call, param: spec?.params.find((p) => p.name === name) };
  }
  if (kind(prev) !== "LParen" && kind(prev) !== "Comma") return { kind: "other" };
  const positional = spec?.params.filter((p) => p.positional) ?? [];
  const param = positional[call.positionalIndex] ?? positional.find((p) => p.variadic);
  return { kind: "argument", call, param };
}

/** Calls and where clauses of the window's AST, found by the offset of their first token. */
class Sites {
  private readonly calls = new Map<number, A.CallExpr>();
  private readonly clauses = new Map<number, { clause: A.WhereClause; call: A.CallExpr }>();

  constructor(
    program: A.Program,
    private readonly tokens: IToken[],
    private readonly windowStart: number,
    private readonly at: number,
  ) {
    walk(program, (n) => {
      if (n.kind !== "CallExpr") return;
      this.calls.set(n.callee.range.start.offset, n);
      for (const w of n.where) this.clauses.set(w.range.start.offset, { clause: w, call: n });
    });
  }

  callAt(name: IToken): CallSite {
    const node = this.calls.get(name.startOffset) ?? null;
    const spec = lookupFunction(name.image);
    const given = new Set<string>();
    let positionalIndex = 0;
    let argName: string | null = null;
    const positional = spec?.params.filter((p) => p.positional) ?? [];
    for (const arg of node?.args ?? []) {
      const atCursor = arg.range.start.offset <= this.at && this.at <= arg.range.end.offset;
      if (arg.range.start.offset > this.at) {
        if (arg.name) given.add(arg.name.name);
        continue;
      }
      if (atCursor) {
        if (arg.name && this.at > arg.name.range.end.offset) argName = arg.name.name;
        continue;
      }
      if (arg.name) given.add(arg.name.name);
      else {
        const p = positional[positionalIndex];
        if (p) given.add(p.name);
        if (p && !p.variadic) positionalIndex++;
      }
    }
    return { callee: name.image, spec, calleeOffset: this.windowStart + name.startOffset, node, given, positionalIndex, argName };
  }

  whereAt(whereToken: IToken): WhereSite {
    const found = this.clauses.get(whereToken.startOffset);
    if (!found) return { clause: null, call: null, given: new Set() };
    const nameToken = this.tokens.find((t) => t.startOffset === found.call.callee.range.start.offset);
    const call = nameToken ? this.callAt(nameToken) : null;
    const given = new Set<string>();
    for (const e of found.clause.entries) {
      const atCursor = e.range.start.offset <= this.at && this.at <= e.range.end.offset;
      if (!atCursor) given.add(e.name.name);
    }
    return { clause: found.clause, call, given };
  }

  /** The where clause whose `{` is `before[braceIndex]`: its `where` is a few tokens back. */
  whereOfBlock(braceIndex: number, before: IToken[]): WhereSite {
    for (let j = braceIndex - 1; j >= Math.max(0, braceIndex - 6); j--) {
      if (kind(before[j]) === "Where") return this.whereAt(before[j]!);
    }
    return { clause: null, call: null, given: new Set() };
  }
}
