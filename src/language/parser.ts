/**
 * The Chevrotain parser (fault tolerant). Newlines are not significant: an expression continues while
 * the next token can continue it. One guard makes recovery line-aware: inside brackets, a new line that
 * starts with `name =` begins a new statement, so an unclosed call does not swallow the rest of the file.
 */
import type { CstNode, CstParser as CstParserType, IOrAlt, IToken, IParserErrorMessageProvider, TokenType } from "chevrotain";
import { CstParser, EOF } from "./chevrotain.js";
import * as T from "./tokens.js";

/** Structured error payload: the message provider encodes it; syntax-errors.ts turns it into words. */
export interface ParseErrorInfo {
  kind: "mismatch" | "no-viable-alt" | "early-exit" | "not-all-input";
  expected: string[]; // token type names
  rule: string;
}

const firstTokens = (paths: TokenType[][][]): string[] => {
  const names = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0]) names.add(path[0].name);
  return [...names];
};

const messageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    JSON.stringify({ kind: "mismatch", expected: [expected.name], rule: ruleName } satisfies ParseErrorInfo),
  buildNotAllInputParsedMessage: ({ ruleName }) =>
    JSON.stringify({ kind: "not-all-input", expected: [], rule: ruleName } satisfies ParseErrorInfo),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    JSON.stringify({ kind: "no-viable-alt", expected: firstTokens(expectedPathsPerAlt), rule: ruleName } satisfies ParseErrorInfo),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    JSON.stringify({ kind: "early-exit", expected: firstTokens([expectedIterationPaths]), rule: ruleName } satisfies ParseErrorInfo),
};

/**
 * Chevrotain gives each CST node a null-prototype `children` dictionary, which V8 keeps in
 * dictionary mode: about 250 bytes per node and a hash lookup per access. A plain object literal is a
 * third of the size, and the CST of a long recipe is mostly nodes: this cuts the parse's garbage
 * collection by a third. Our labels and rule names never collide with Object.prototype's members.
 */
function useCompactCstNodes(parser: CstParserType): void {
  const internals = parser as unknown as { cstInvocationStateUpdate: (name: string) => void; CST_STACK: CstNode[] };
  internals.cstInvocationStateUpdate = function (this: typeof internals, name: string): void {
    this.CST_STACK.push({ name, children: {} });
  };
}

export class RecipeParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messageProvider });
    this.performSelfAnalysis();
    useCompactCstNodes(this);
  }

  /** True when the next tokens are `name =` starting a new line: a statement, never a continuation. */
  private atStatementStartOnNewLine(): boolean {
    const a = this.LA(1);
    const b = this.LA(2);
    const prev = this.LA(0);
    return a.tokenType === T.Identifier && b.tokenType === T.Equals && a.startLine! > prev.startLine!;
  }

  // Alternatives built once and reused: an OR given a fresh array allocates every object and closure
  // in it on each call, and these two run for every operand of every expression.
  private operatorAlts: IOrAlt<unknown>[] | undefined;
  private operandAlts: IOrAlt<unknown>[] | undefined;

  /** Called with each statement as soon as it is parsed (see parseTokens). */
  statementSink: ((statement: CstNode) => void) | null = null;

  public program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Semicolon) },
        {
          ALT: () => {
            const statement = this.SUBRULE(this.statement);
            this.ACTION(() => this.statementSink?.(statement));
          },
        },
      ]);
    });
  });

  public statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.assignment) },
      { ALT: () => this.SUBRULE(this.expression) },
    ]);
  });

  public assignment = this.RULE("assignment", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.chain();
  });

  public expression = this.RULE("expression", () => this.chain());

  /**
   * An expression's body, a flat chain `operand (op operand)*`: precedence is applied when the AST is
   * built. Fewer rule levels make the parser several times faster than one rule per precedence level;
   * the rules whose value is an expression (assignment, argument, where entry) take the chain inline,
   * one CST level less for most values.
   */
  private chain(): void {
    this.SUBRULE(this.operand, { LABEL: "operands" });
    this.MANY(() => {
      this.OR(
        (this.operatorAlts ??= [
          { ALT: () => this.CONSUME(T.Plus, { LABEL: "operators" }) },
          { ALT: () => this.CONSUME(T.Minus, { LABEL: "operators" }) },
          { ALT: () => this.CONSUME(T.Star, { LABEL: "operators" }) },
          { ALT: () => this.CONSUME(T.Slash, { LABEL: "operators" }) },
        ]),
      );
      this.SUBRULE2(this.operand, { LABEL: "operands" });
    });
  }

  /** Unary minus signs, a value, and the where clauses that may follow a call. */
  public operand = this.RULE("operand", () => {
    this.MANY(() => this.CONSUME(T.Minus, { LABEL: "signs" }));
    this.OR(
      (this.operandAlts ??= [
        { ALT: () => this.CONSUME(T.NumberLiteral) },
        { ALT: () => this.CONSUME(T.StringLiteral) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
        { ALT: () => this.SUBRULE(this.list) },
        // `layers 0..15` as a value (slice's argument).
        {
          ALT: () => {
            this.CONSUME(T.Layers);
            this.CONSUME2(T.NumberLiteral, { LABEL: "rangeFrom" });
            this.OPTION2(() => {
              this.CONSUME(T.DotDot);
              this.CONSUME3(T.NumberLiteral, { LABEL: "rangeTo" });
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.expression);
            this.CONSUME(T.RParen);
          },
        },
        // `name =` on a new line starts the next statement: never take it as an operand.
        {
          GATE: () => !this.atStatementStartOnNewLine(),
          ALT: () => {
            this.CONSUME(T.Identifier);
            this.OPTION(() => this.SUBRULE(this.callArguments));
          },
        },
      ]),
    );
    this.MANY2(() => this.SUBRULE(this.whereClause));
  });

  public list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "items" });
      this.MANY({
        GATE: () => this.LA(2).tokenType !== T.RBracket,
        DEF: () => {
          this.CONSUME(T.Comma);
          this.SUBRULE2(this.expression, { LABEL: "items" });
        },
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  public callArguments = this.RULE("callArguments", () => {
    this.CONSUME(T.LParen);
    this.OPTION({
      GATE: () => !this.atStatementStartOnNewLine(),
      DEF: () => {
        this.SUBRULE(this.argument);
        this.MANY({
          GATE: () => this.LA(2).tokenType !== T.RParen && !this.nextArgumentIsNewStatement(),
          DEF: () => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.argument);
          },
        });
        this.OPTION2(() => this.CONSUME2(T.Comma));
      },
    });
    this.CONSUME(T.RParen);
  });

  /** After a comma: `name =` on a new line is the next statement, not an argument. */
  private nextArgumentIsNewStatement(): boolean {
    const comma = this.LA(1);
    const a = this.LA(2);
    const b = this.LA(3);
    return a.tokenType === T.Identifier && b.tokenType === T.Equals && a.startLine! > comma.startLine!;
  }

  /** `name: value` or `value`; a value may be a range `lo..hi` (a search space, `search(0.3..1.5)`). */
  public argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier);
      this.CONSUME(T.Colon);
    });
    this.chain();
    this.OPTION2(() => this.SUBRULE(this.rangeEnd));
  });

  /** `..hi` after an argument's value. */
  public rangeEnd = this.RULE("rangeEnd", () => {
    this.CONSUME(T.DotDot);
    this.chain();
  });

  public whereClause = this.RULE("whereClause", () => {
    this.CONSUME(T.Where);
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.CONSUME(T.Layers);
          this.CONSUME(T.NumberLiteral, { LABEL: "from" });
          this.OPTION(() => {
            this.CONSUME(T.DotDot);
            this.CONSUME2(T.NumberLiteral, { LABEL: "to" });
          });
        },
      },
    ]);
    this.CONSUME(T.LBrace);
    this.MANY({
      GATE: () => !this.atStatementStartOnNewLine(),
      DEF: () => {
        this.SUBRULE(this.whereEntry);
        this.OPTION2(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RBrace);
  });

  public whereEntry = this.RULE("whereEntry", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.chain();
  });
}

/** One parser instance, reused: Chevrotain parsers are stateful but cheap to reset. */
let shared: RecipeParser | null = null;
export function recipeParser(): RecipeParser {
  shared ??= new RecipeParser();
  return shared;
}

export interface CstParseResult {
  cst: CstNode;
  tokens: IToken[];
  errors: { info: ParseErrorInfo; token: IToken; previous: IToken | null; ruleStack: string[] }[];
}

/**
 * `onStatement` sees each statement's CST as soon as it is complete, so a caller can turn it into AST
 * and let it go: the CST of a long recipe then never outlives its statement (less for the GC to copy).
 */
export function parseTokens(tokens: IToken[], onStatement: ((statement: CstNode) => void) | null = null): CstParseResult {
  const parser = recipeParser();
  parser.input = tokens;
  parser.statementSink = onStatement;
  let cst: CstNode;
  try {
    cst = parser.program();
  } finally {
    parser.statementSink = null;
  }
  const errors = parser.errors.map((e) => {
    let info: ParseErrorInfo;
    try {
      info = JSON.parse(e.message) as ParseErrorInfo;
    } catch {
      info = { kind: "mismatch", expected: [], rule: "" };
    }
    const prev = (e as { previousToken?: IToken }).previousToken ?? null;
    return { info, token: e.token, previous: prev, ruleStack: e.context?.ruleStack ?? [] };
  });
  return { cst, tokens, errors };
}

export { EOF };
