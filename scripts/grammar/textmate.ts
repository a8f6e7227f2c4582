/**
 * The TextMate grammar for `.merge` recipes, built from the lexer's tokens, the parser's serialized grammar
 * and the built-in function catalog. Every lexer token must get a scope here: a new token without one
 * fails generation instead of silently going unhighlighted.
 */
import type { ISerializedGast, TokenType } from "chevrotain";
import { parseRecipe } from "../../src/language/parse.js";
import * as T from "../../src/language/tokens.js";
import { followersOf, terminalNames } from "./productions.js";
import { charClass, escapeRegExp, leadingLiteral, literalOf, literalRegExp, patternSource, wordAlternation } from "./token-regex.js";

export interface TmCapture {
  name: string;
}

export interface TmRule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, TmCapture>;
  beginCaptures?: Record<string, TmCapture>;
  endCaptures?: Record<string, TmCapture>;
  patterns?: TmRule[];
  include?: string;
}

export interface TmGrammar {
  name: string;
  scopeName: string;
  fileTypes: string[];
  patterns: TmRule[];
  repository: Record<string, TmRule>;
}

export const LANGUAGE_ID = "mergelang";
const S = `.${LANGUAGE_ID}`;

/** Scopes of keyword tokens; every token in `keywordTokens` needs one. */
const keywordScopes = new Map<TokenType, string>([
  [T.Where, `keyword.control.where${S}`],
  [T.Layers, `keyword.other.layers${S}`],
  [T.True, `constant.language.boolean${S}`],
  [T.False, `constant.language.boolean${S}`],
]);

/** Scopes of fixed-text tokens (operators and punctuation), in the order the grammar tries them. */
const symbolScopes = new Map<TokenType, string>([
  [T.DotDot, `keyword.operator.range${S}`],
  [T.Plus, `keyword.operator.arithmetic${S}`],
  [T.Minus, `keyword.operator.arithmetic${S}`],
  [T.Star, `keyword.operator.arithmetic${S}`],
  [T.Slash, `keyword.operator.arithmetic${S}`],
  [T.Equals, `keyword.operator.assignment${S}`],
  [T.Colon, `punctuation.separator.key-value${S}`],
  [T.Comma, `punctuation.separator.comma${S}`],
  [T.Semicolon, `punctuation.terminator.statement${S}`],
  [T.LParen, `punctuation.section.parens.begin${S}`],
  [T.RParen, `punctuation.section.parens.end${S}`],
  [T.LBracket, `punctuation.section.brackets.begin${S}`],
  [T.RBracket, `punctuation.section.brackets.end${S}`],
  [T.LBrace, `punctuation.section.braces.begin${S}`],
  [T.RBrace, `punctuation.section.braces.end${S}`],
]);

/** Tokens with a dedicated repository rule below (not keywords or symbols). */
const structuredTokens = new Set<TokenType>([T.WhiteSpace, T.Comment, T.Identifier, T.NumberLiteral, T.StringLiteral, T.UnterminatedString]);

/**
 * What an identifier is, told by the token right after it (the parser's own grammar lists which tokens
 * can follow one). `(` has two scopes: catalog functions and any other call.
 */
const identifierRoles = new Map<TokenType, { scope: string; followerScope?: string }>([
  [T.Equals, { scope: `variable.other.assignment${S}`, followerScope: `keyword.operator.assignment${S}` }],
  [T.Colon, { scope: `variable.parameter${S}`, followerScope: `punctuation.separator.key-value${S}` }],
  [T.LParen, { scope: `entity.name.function${S}` }],
]);

/** Characters that make a valid `\x` escape in a string, found by asking the real parser (spec §2). */
export function validStringEscapes(): string[] {
  const valid: string[] = [];
  for (let code = 0x21; code < 0x7f; code++) {
    const ch = String.fromCharCode(code);
    const diagnostics = parseRecipe(`"\\${ch}"`).diagnostics;
    if (!diagnostics.some((d) => d.code === "bad-escape")) valid.push(ch);
  }
  if (valid.length === 0) throw new Error("the parser accepts no string escapes at all; check the probe in textmate.ts");
  return valid;
}

function checkEveryTokenHasAScope(): void {
  const covered = new Set<TokenType>([...keywordScopes.keys(), ...symbolScopes.keys(), ...structuredTokens]);
  const missing = T.allTokens.filter((t) => !covered.has(t)).map((t) => t.name);
  if (missing.length > 0) throw new Error(`no TextMate scope for token(s) ${missing.join(", ")}: add them to scripts/grammar/textmate.ts`);
  const unknownKeywords = T.keywordTokens.filter((t) => !keywordScopes.has(t)).map((t) => t.name);
  if (unknownKeywords.length > 0) throw new Error(`no TextMate scope for keyword(s) ${unknownKeywords.join(", ")}`);
}

function checkIdentifierRoles(rules: readonly ISerializedGast[]): void {
  const followers = followersOf(rules, T.Identifier.name);
  const known = new Set([...identifierRoles.keys()].map((t) => t.name));
  const unknown = [...followers].filter((f) => !known.has(f));
  const gone = [...known].filter((f) => !followers.has(f));
  if (unknown.length > 0) throw new Error(`the parser now allows an identifier followed by ${unknown.join(", ")}: give that role a scope in textmate.ts`);
  if (gone.length > 0) throw new Error(`the parser no longer allows an identifier followed by ${gone.join(", ")}: remove that role from textmate.ts`);
}

function builtinNames(names: readonly string[]): string[] {
  const identifier = new RegExp(`^(?:${patternSource(T.Identifier)})$`);
  const keywords = new Set(T.keywordTokens.map(literalOf));
  for (const name of names) {
    if (!identifier.test(name) || keywords.has(name)) throw new Error(`catalog function name '${name}' is not a plain identifier`);
  }
  return [...new Set(names)].sort();
}

export function buildTextMateGrammar(rules: readonly ISerializedGast[], functionNames: readonly string[]): TmGrammar {
  checkEveryTokenHasAScope();
  checkIdentifierRoles(rules);
  const used = terminalNames(rules);
  const ident = patternSource(T.Identifier);
  const callAhead = `(?=\\s*${literalRegExp(T.LParen)})`;
  const quote = escapeRegExp(leadingLiteral(T.StringLiteral));
  const role = (t: TokenType) => identifierRoles.get(t)!;

  // Keywords grouped by scope, only those the parser actually consumes.
  const keywordGroups = new Map<string, string[]>();
  for (const token of T.keywordTokens) {
    if (!used.has(token.name)) continue;
    const scope = keywordScopes.get(token)!;
    keywordGroups.set(scope, [...(keywordGroups.get(scope) ?? []), literalOf(token)]);
  }

  const namedRole = (token: TokenType): TmRule => ({
    match: `\\b(${ident})\\s*(${literalRegExp(token)})`,
    captures: { "1": { name: role(token).scope }, "2": { name: role(token).followerScope! } },
  });

  const repository: Record<string, TmRule> = {
    comment: { name: `comment.line.number-sign${S}`, match: patternSource(T.Comment) },
    string: {
      name: `string.quoted.double${S}`,
      begin: quote,
      beginCaptures: { "0": { name: `punctuation.definition.string.begin${S}` } },
      // A string that is not closed stops at the end of the line, as in the lexer.
      end: `(${quote})|$`,
      endCaptures: { "1": { name: `punctuation.definition.string.end${S}` } },
      patterns: [
        { name: `constant.character.escape${S}`, match: `\\\\${charClass(validStringEscapes())}` },
        { name: `invalid.illegal.unknown-escape${S}`, match: "\\\\." },
      ],
    },
    number: { name: `constant.numeric.decimal${S}`, match: `\\b${patternSource(T.NumberLiteral)}` },
    keyword: { patterns: [...keywordGroups].map(([scope, words]) => ({ name: scope, match: wordAlternation(words) })) },
    assignment: namedRole(T.Equals),
    "named-argument": namedRole(T.Colon),
    call: {
      patterns: [
        { name: `support.function.builtin${S}`, match: `${wordAlternation(builtinNames(functionNames))}${callAhead}` },
        { name: role(T.LParen).scope, match: `\\b${ident}${callAhead}` },
      ],
    },
    identifier: { name: `variable.other.readwrite${S}`, match: `\\b${ident}\\b` },
    operator: { patterns: [...symbolScopes].map(([token, scope]) => ({ name: scope, match: literalRegExp(token) })) },
  };

  // Order matters where two rules match at the same place: the first listed wins.
  const order = ["comment", "string", "number", "keyword", "assignment", "named-argument", "call", "identifier", "operator"];
  return {
    name: LANGUAGE_ID,
    scopeName: `source${S}`,
    fileTypes: ["merge"],
    patterns: order.map((key) => ({ include: `#${key}` })),
    repository,
  };
}
