/** The recipe language's tokens (spec §2). The TextMate grammar and syntax diagrams are generated from these. */
import type { IToken, TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
export const Where = createToken({ name: "Where", pattern: /where/, longer_alt: Identifier, label: "'where'" });
export const Layers = createToken({ name: "Layers", pattern: /layers/, longer_alt: Identifier, label: "'layers'" });
export const True = createToken({ name: "True", pattern: /true/, longer_alt: Identifier, label: "'true'" });
export const False = createToken({ name: "False", pattern: /false/, longer_alt: Identifier, label: "'false'" });

/** `12`, `0.25`, `1e-4`, `20%` (= 0.2). A leading sign is the unary operator, not part of the number. */
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?%?/, label: "a number" });

/** A double-quoted string; the body may hold `\"`, `\\`, `\n`, `\t`. */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: "a string" });
/** A string missing its closing quote: stops at the end of the line; reported, then parsed as a string. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\.)*\\?/,
  categories: [StringLiteral],
  label: "a string",
});

export const DotDot = createToken({ name: "DotDot", pattern: /\.\./, label: "'..'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "';'" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: "']'" });
export const LBrace = createToken({ name: "LBrace", pattern: /{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /}/, label: "'}'" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "'+'" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "'-'" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "'*'" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "'/'" });

/** Keywords, for editors and the generated grammar. */
export const keywordTokens: TokenType[] = [Where, Layers, True, False];

/** Order matters: keywords before Identifier, the terminated string before the unterminated one. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Where,
  Layers,
  True,
  False,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  DotDot,
  Equals,
  Colon,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Plus,
  Minus,
  Star,
  Slash,
];

/**
 * Start positions only. No token spans lines (strings and comments end with their line), so a token's
 * end follows from its image (tokenEndOffset, tokenEndColumn). This also keeps every position field a
 * small integer: full tracking shares its object shape with Chevrotain's EOF token, whose NaN positions
 * turn all six position fields of every token into boxed doubles (twice the memory, and slower).
 */
export const recipeLexer = new Lexer(allTokens, { positionTracking: "onlyStart", ensureOptimizations: false });

/** The offset just past the token (exclusive). */
export const tokenEndOffset = (t: IToken): number => t.startOffset + t.image.length;

/** The 1-based column just past the token (exclusive). */
export const tokenEndColumn = (t: IToken): number => (t.startColumn ?? 1) + t.image.length;
