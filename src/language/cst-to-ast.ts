/** CST → AST with exact source ranges. Tolerates the holes that error recovery leaves in the CST. */
import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const isToken = (x: CstNode | IToken): x is IToken => (x as IToken).image !== undefined;

/** Tokens inserted by recovery have no real position. */
export function realToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

export function tokenRange(t: IToken): A.Range {
  return {
    start: { offset: t.startOffset, line: t.startLine ?? 1, column: t.startColumn ?? 1 },
    end: { offset: (t.endOffset ?? t.startOffset) + 1, line: t.endLine ?? t.startLine ?? 1, column: (t.endColumn ?? t.startColumn ?? 0) + 1 },
  };
}

export function spanRanges(a: A.Range, b: A.Range): A.Range {
  return { start: a.start, end: b.end.offset >= a.end.offset ? b.end : a.end };
}

const tok = (c: Children, name: string, i = 0): IToken | undefined => {
  const t = c[name]?.[i];
  return t && isToken(t) && realToken(t) ? t : undefined;
};
const sub = (c: Children, name: string, i = 0): CstNode | undefined => {
  const n = c[name]?.[i];
  return n && !isToken(n) ? n : undefined;
};
const subs = (c: Children, name: string): CstNode[] => (c[name] ?? []).filter((n): n is CstNode => !isToken(n));

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  program(node: CstNode, comments: IToken[], textLength: number, endPos: A.Position): A.Program {
    const statements: A.Statement[] = [];
    for (const s of subs(node.children, "statement")) {
      const st = this.statement(s);
      if (st) statements.push(st);
    }
    return {
      kind: "Program",
      statements,
      comments: comments.map((t) => ({ text: t.image, range: tokenRange(t) })),
      range: { start: { offset: 0, line: 1, column: 1 }, end: textLength === 0 ? { offset: 0, line: 1, column: 1 } : endPos },
    };
  }

  private statement(node: CstNode): A.Statement | null {
    const assign = sub(node.children, "assignment");
    if (assign) {
      const c = assign.children;
      const id = tok(c, "Identifier");
      if (!id) return null;
      const name = this.identifier(id);
      const value = this.expressionOf(sub(c, "expression"));
      const eq = tok(c, "Equals");
      const last = value?.range ?? (eq ? tokenRange(eq) : name.range);
      return { kind: "AssignStmt", name, value, range: spanRanges(name.range, last) };
    }
    const expr = this.expressionOf(sub(node.children, "expression"));
    return expr ? { kind: "ExprStmt", expr, range: expr.range } : null;
  }

  private identifier(t: IToken): A.Identifier {
    return { kind: "Identifier", name: t.image, range: tokenRange(t) };
  }

  expressionOf(node: CstNode | undefined): A.Expr | null {
    if (!node) return null;
    const operands = subs(node.children, "operands").map((o) => this.operand(o));
    const operators = (node.children["operators"] ?? []).filter(isToken);
    return this.climb(operands, operators);
  }

  /** Applies precedence to a flat `operand (op operand)*` chain: * and / bind tighter, all left-associative. */
  private climb(operands: (A.Expr | null)[], operators: IToken[]): A.Expr | null {
    const make = (left: A.Expr | null, opTok: IToken, right: A.Expr | null): A.Expr | null => {
      if (!left) return right;
      const opRange = tokenRange(opTok);
      return { kind: "BinaryExpr", op: opTok.image as A.BinaryOperator, opRange, left, right, range: spanRanges(left.range, right?.range ?? opRange) };
    };
    // First fold the multiplicative runs, then the additive chain.
    const terms: (A.Expr | null)[] = [operands[0] ?? null];
    const addOps: IToken[] = [];
    for (let i = 0; i < operators.length; i++) {
      const op = operators[i]!;
      const right = operands[i + 1] ?? null;
      if (!realToken(op)) continue;
      if (op.image === "*" || op.image === "/") terms[terms.length - 1] = make(terms[terms.length - 1] ?? null, op, right);
      else {
        addOps.push(op);
        terms.push(right);
      }
    }
    let result = terms[0] ?? null;
    for (let i = 0; i < addOps.length; i++) result = make(result, addOps[i]!, terms[i + 1] ?? null);
    return result;
  }

  private operand(node: CstNode): A.Expr | null {
    const c = node.children;
    let expr = this.atom(c);
    const clauses = subs(c, "whereClause").map((w) => this.whereClause(w));
    if (expr && clauses.length > 0) {
      const last = clauses[clauses.length - 1]!;
      if (expr.kind === "CallExpr") {
        expr.where.push(...clauses);
        expr.range = spanRanges(expr.range, last.range);
      } else {
        this.diagnostics.push(
          diagnostic("where-not-allowed", "error", clauses[0]!.range, "a where clause can only follow a merge call such as ties(...) or pcb(...)"),
        );
      }
    }
    const signs = (c["signs"] ?? []).filter(isToken).filter(realToken);
    for (let i = signs.length - 1; i >= 0; i--) {
      const r = tokenRange(signs[i]!);
      expr = { kind: "UnaryExpr", op: "-", operand: expr, range: spanRanges(r, expr?.range ?? r) };
    }
    return expr;
  }

  private atom(c: Children): A.Expr | null {
    const num = tok(c, "NumberLiteral");
    if (num) return this.number(num);
    const str = tok(c, "StringLiteral");
    if (str) return this.string(str);
    const t = tok(c, "True") ?? tok(c, "False");
    if (t) return { kind: "BoolLiteral", value: t.image === "true", range: tokenRange(t) };
    const list = sub(c, "list");
    if (list) return this.list(list);
    const layers = tok(c, "Layers");
    if (layers) {
      const from = tok(c, "rangeFrom") ? this.number(tok(c, "rangeFrom")!) : null;
      const to = tok(c, "rangeTo") ? this.number(tok(c, "rangeTo")!) : null;
      const lr = tokenRange(layers);
      return { kind: "LayerRange", from, to, range: spanRanges(lr, (to ?? from)?.range ?? lr) };
    }
    const open = tok(c, "LParen");
    if (open) {
      const close = tok(c, "RParen");
      const inner = this.expressionOf(sub(c, "expression"));
      return { kind: "ParenExpr", expr: inner, range: spanRanges(tokenRange(open), close ? tokenRange(close) : inner?.range ?? tokenRange(open)) };
    }
    const id = tok(c, "Identifier");
    if (id) return this.callOrName(id, sub(c, "callArguments"));
    return null;
  }

  number(t: IToken): A.NumberLiteral {
    const percent = t.image.endsWith("%");
    const base = Number(percent ? t.image.slice(0, -1) : t.image);
    return { kind: "NumberLiteral", value: percent ? base / 100 : base, percent, raw: t.image, range: tokenRange(t) };
  }

  string(t: IToken): A.StringLiteral {
    const range = tokenRange(t);
    const terminated = t.tokenType.name === "StringLiteral";
    const body = terminated ? t.image.slice(1, -1) : t.image.slice(1);
    if (!terminated) {
      this.diagnostics.push(diagnostic("unterminated-string", "error", range, "this string has no closing '\"' before the end of the line", {
        fixes: [{ title: "Add the closing quote", edits: [{ range: { start: range.end, end: range.end }, newText: '"' }] }],
      }));
    }
    let value = "";
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch !== "\\") {
        value += ch;
        continue;
      }
      const next = body[i + 1];
      i++;
      if (next === '"' || next === "\\") value += next;
      else if (next === "n") value += "\n";
      else if (next === "t") value += "\t";
      else {
        const col = range.start.column + 1 + i - 1;
        const off = range.start.offset + 1 + i - 1;
        const at = { offset: off, line: range.start.line, column: col };
        const end = { offset: off + (next === undefined ? 1 : 2), line: range.start.line, column: col + (next === undefined ? 1 : 2) };
        this.diagnostics.push(
          diagnostic("bad-escape", "error", { start: at, end }, `unknown escape '\\${next ?? ""}' in a string: use \\" \\\\ \\n or \\t`),
        );
        if (next !== undefined) value += next;
      }
    }
    return { kind: "StringLiteral", value, raw: t.image, terminated, range };
  }

  private list(node: CstNode): A.ListExpr {
    const c = node.children;
    const open = tok(c, "LBracket");
    const close = tok(c, "RBracket");
    const items = subs(c, "items")
      .map((e) => this.expressionOf(e))
      .filter((e): e is A.Expr => e !== null);
    const first = open ? tokenRange(open) : items[0]?.range;
    const last = close ? tokenRange(close) : items[items.length - 1]?.range ?? first;
    return { kind: "ListExpr", items, range: spanRanges(first!, last!) };
  }

  private callOrName(id: IToken, argsNode: CstNode | undefined): A.Expr {
    if (!argsNode) return { kind: "NameRef", name: id.image, range: tokenRange(id) };
    const ac = argsNode.children;
    const open = tok(ac, "LParen");
    const close = tok(ac, "RParen");
    const args = subs(ac, "argument").map((a) => this.argument(a)).filter((a): a is A.Argument => a !== null);
    const openRange = open ? tokenRange(open) : tokenRange(id);
    const lastArg = args[args.length - 1];
    const endRange = close ? tokenRange(close) : lastArg?.range ?? openRange;
    const argsRange = spanRanges(openRange, endRange);
    return {
      kind: "CallExpr",
      callee: this.identifier(id),
      args,
      argsRange,
      closed: close !== undefined,
      where: [],
      range: spanRanges(tokenRange(id), argsRange),
    };
  }

  private argument(node: CstNode): A.Argument | null {
    const c = node.children;
    const id = tok(c, "Identifier");
    const value = this.expressionOf(sub(c, "expression"));
    if (id && tok(c, "Colon")) {
      const name = this.identifier(id);
      return { kind: "Argument", name, value, range: spanRanges(name.range, value?.range ?? tokenRange(tok(c, "Colon")!)) };
    }
    if (!value) return null;
    return { kind: "Argument", name: null, value, range: value.range };
  }

  private whereClause(node: CstNode): A.WhereClause {
    const c = node.children;
    const kw = tok(c, "Where");
    let selector: A.GlobSelector | A.LayerSelector | null = null;
    const str = tok(c, "StringLiteral");
    const layers = tok(c, "Layers");
    if (str) {
      const pattern = this.string(str);
      selector = { kind: "GlobSelector", pattern, range: pattern.range };
    } else if (layers) {
      const from = tok(c, "from") ? this.number(tok(c, "from")!) : null;
      const to = tok(c, "to") ? this.number(tok(c, "to")!) : null;
      const lr = tokenRange(layers);
      selector = { kind: "LayerSelector", from, to, range: spanRanges(lr, (to ?? from)?.range ?? lr) };
    }
    const entries: A.WhereEntry[] = [];
    for (const e of subs(c, "whereEntry")) {
      const id = tok(e.children, "Identifier");
      if (!id) continue;
      const name = this.identifier(id);
      const value = this.expressionOf(sub(e.children, "expression"));
      entries.push({ kind: "WhereEntry", name, value, range: spanRanges(name.range, value?.range ?? name.range) });
    }
    const close = tok(c, "RBrace");
    const start = kw ? tokenRange(kw) : selector?.range ?? entries[0]?.range;
    const end = close ? tokenRange(close) : entries[entries.length - 1]?.range ?? selector?.range ?? start;
    return { kind: "WhereClause", selector, entries, closed: close !== undefined, range: spanRanges(start!, end!) };
  }
}
