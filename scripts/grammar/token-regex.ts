/**
 * Regex text derived from the lexer's token definitions, so editor grammars follow the lexer instead of
 * retyping it. Everything produced here compiles both as a JS RegExp (with the strict `u` flag) and in
 * Oniguruma, the engine TextMate grammars run on.
 */
import type { TokenType } from "chevrotain";

/** Escapes regex metacharacters; `-` and `/` are left alone (escaping them is an error under the `u` flag). */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** The token's pattern as regex source; fails for tokens matched by custom functions or plain strings. */
export function patternSource(token: TokenType): string {
  const pattern = token.PATTERN;
  if (!(pattern instanceof RegExp)) throw new Error(`token ${token.name} has no RegExp pattern`);
  if (pattern.flags !== "") throw new Error(`token ${token.name} uses regex flags '${pattern.flags}', which editor grammars cannot carry`);
  return asciiDigits(pattern.source);
}

/**
 * `\d` spelled `[0-9]`: JS reads `\d` as ASCII digits, Oniguruma may read it as any Unicode digit, and the
 * editor should highlight exactly what the lexer accepts.
 */
function asciiDigits(source: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\") {
      const next = source[++i] ?? "";
      out += next === "d" ? (inClass ? "0-9" : "[0-9]") : ch + next;
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "]") inClass = false;
    out += ch;
  }
  return out;
}

/**
 * The exact text a fixed token (keyword, operator, bracket) matches, read from its label (`'..'`) and checked
 * against its pattern, so a label that drifts from the pattern fails generation.
 */
export function literalOf(token: TokenType): string {
  const label = token.LABEL;
  const quoted = label === undefined ? null : /^'(.+)'$/.exec(label);
  if (!quoted) throw new Error(`token ${token.name} has no quoted literal label (got ${JSON.stringify(label)})`);
  const text = quoted[1]!;
  if (!new RegExp(`^(?:${patternSource(token)})$`).test(text)) {
    throw new Error(`token ${token.name}: label ${label} does not match its pattern /${patternSource(token)}/`);
  }
  return text;
}

/** A regex matching exactly this fixed token's text. */
export function literalRegExp(token: TokenType): string {
  return escapeRegExp(literalOf(token));
}

/** The literal characters a pattern starts with (`#` for `#[^\n\r]*`, `"` for a string), or an error if none. */
export function leadingLiteral(token: TokenType): string {
  const source = patternSource(token);
  let text = "";
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "\\" && i + 1 < source.length && /[\\^$.*+?()[\]{}|/"#-]/.test(source[i + 1]!)) {
      text += source[++i];
    } else if (/[\\^$.*+?()[\]{}|]/.test(ch)) {
      break;
    } else {
      text += ch;
    }
  }
  // A quantifier after the last literal character makes that character optional: drop it.
  if (/^[*?{]/.test(source.slice(sourceOffsetAfter(source, text.length)))) text = text.slice(0, -1);
  if (text === "") throw new Error(`token ${token.name}: pattern /${source}/ does not start with a literal`);
  return text;
}

/** Index in `source` just past the first `count` literal characters (counting `\x` escapes as one). */
function sourceOffsetAfter(source: string, count: number): number {
  let i = 0;
  for (let n = 0; n < count; n++) i += source[i] === "\\" ? 2 : 1;
  return i;
}

/** A character class holding exactly these characters. */
export function charClass(chars: readonly string[]): string {
  if (chars.length === 0) throw new Error("empty character class");
  // `[` is escaped too: Oniguruma reads an unescaped one inside a class as a nested class.
  return `[${chars.map((c) => c.replace(/[\\\[\]^-]/g, "\\$&")).join("")}]`;
}

/** `\b(?:a|b|c)\b` for whole words; the words must be plain identifiers. */
export function wordAlternation(words: readonly string[]): string {
  if (words.length === 0) throw new Error("no words to match");
  return `\\b(?:${words.map(escapeRegExp).join("|")})\\b`;
}
