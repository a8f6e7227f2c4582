/** CST → AST with exact source ranges. Tolerates the holes that error recovery leaves in the CST. */
import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { tokenEndColumn, tokenEndOffset } from "./tokens.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;


/** Tokens inserted by recovery have no real position. */
export function realToken(t: IToken | undefined): t is IToken {
  return t !== undefined && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

export function tokenRange(t: IToken): A.Range {
  return {
    start: { offset: t.startOffset, line: t.startLine ?? 1, column: t.startColumn ?? 1 },
    end: { offset: tokenEndOffset(t), line: t.startLine ?? 1, column: tokenEndColumn(t) },
  };
}

export function spanRanges(a: A.Range, b: A.Range): A.Range {
  return { start: a.start, end: b.end.offset >= a.end.offset ? b.end : a.end };
}

// Hot path (a long recipe has hundreds of thousands of CST entries): plain loops, no intermediate
// arrays. A label holds either tokens or nodes, never both, so no per-entry kind check is needed.
const tok = (c: Children, name: string, i = 0): IToken | undefined => {
  const t = c[name]?.[i] as IToken | undefined;
  return t !== undefined && t.isInsertedInRecovery !== true && Number.isFinite(t.startOffset) ? t : undefined;
};
const sub = (c: Children, name: string): CstNode | undefined => c[name]?.[0] as CstNode | undefined;
const NO_NODES: CstNode[] = [];
const subs = (c: Children, name: string): CstNode[] => (c[name] as CstNode[] | undefined) ?? NO_NODES;

/** A statement CST node already turned into AST while parsing; its children were let go. */
interface BuiltStatement extends CstNode {
  built?: A.Statement | null;
  children: CstNode["children"]; // not readonly: emptied once built
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private lastEnd: A.Position | null = null;

  /**
   * A token's range. Adjacent tokens (`ties(`, `a,`) share the position between them: tokens are
   * mostly built in order, and positions are never mutated.
   */
  private range(t: IToken): A.Range {
    const line = t.startLine ?? 1;
    const last = this.lastEnd;
    const start = last !== null && last.offset === t.startOffset ? last : { offset: t.startOffset, line, column: t.startColumn ?? 1 };
    const end = { offset: tokenEndOffset(t), line, column: tokenEndColumn(t) };
    this.lastEnd = end;
    return { start, end };
  }

  /** Builds one statement's AST as soon as the parser completes it, and drops its CST subtree. */
  readonly buildStatement = (node: CstNode): void => {
    const built = node as BuiltStatement;
    built.built = this.statement(node);
    built.children = {};
  };

  program(node: CstNode, comments: IToken[], textLength: number, endPos: A.Position): A.Program {
    const statements: A.Statement[] = [];
    // Statements left incomplete by error recovery were never handed to buildStatement.
    for (const s of subs(node.children, "statement") as BuiltStatement[]) {
      const st = s.built !== undefined ? s.built : this.statement(s);
      if (st) statements.push(st);
    }
    return {
      kind: "Program",
      statements,
      comments: comments.map((t) => ({ text: t.image, range: this.range(t) })),
      range: { start: { offset: 0, line: 1, column: 1 }, end: textLength === 0 ? { offset: 0, line: 1, column: 1 } : endPos },
    };
  }

  /**
   * A statement whose expression is deeper than MAX_EXPRESSION_DEPTH loses it, with a diagnostic:
   * every later stage (analysis, lowering, formatting, the editor's features) walks expressions
   * recursively, and a chain of thousands of `+ 1` would exhaust their stack.
   */
  private statement(node: CstNode): A.Statement | null {
    const st = this.statementUnchecked(node);
    const expr = st === null ? null : st.kind === "AssignStmt" ? st.value : st.expr;
    const deep = expr ? tooDeepAt(expr) : null;
    if (!deep) return st;
    this.diagnostics.push(
      diagnostic(
        "expression-too-deep",
        "error",
        deep.kind === "BinaryExpr" ? deep.opRange : { start: deep.range.start, end: { ...deep.range.start, offset: deep.range.start.offset + 1, column: deep.range.start.column + 1 } },
        `this expression nests more than ${MAX_EXPRESSION_DEPTH} operations deep (operators, signs and brackets) for the recipe to be read: ` +
          "split it into named steps (a = ...; b = a + ...)",
      ),
    );
    // A binding stays (with no value), so later uses of its name bring no follow-on errors.
    return st!.kind === "AssignStmt" ? { ...st!, value: null, range: spanRanges(st!.name.range, st!.name.range) } : null;
  }

  private statementUnchecked(node: CstNode): A.Statement | null {
    const assign = sub(node.children, "assignment");
    if (assign) {
      const c = assign.children;
      const id = tok(c, "Identifier");
      if (!id) return null;
      const name = this.identifier(id);
      const value = this.chain(c);
      const eq = tok(c, "Equals");
      const last = value?.range ?? (eq ? this.range(eq) : name.range);
      return { kind: "AssignStmt", name, value, range: spanRanges(name.range, last) };
    }
    const expr = this.expressionOf(sub(node.children, "expression"));
    return expr ? { kind: "ExprStmt", expr, range: expr.range } : null;
  }

  private identifier(t: IToken): A.Identifier {
    return { kind: "Identifier", name: t.image, range: this.range(t) };
  }

  expressionOf(node: CstNode | undefined): A.Expr | null {
    return node ? this.chain(node.children) : null;
  }

  /** The `operand (op operand)*` chain of an expression, or of a rule that holds one inline. */
  private chain(c: Children): A.Expr | null {
    const nodes = subs(c, "operands");
    const operators = c["operators"] as IToken[] | undefined;
    if (operators === undefined) return nodes.length > 0 ? this.operand(nodes[0]!) : null;
    const operands: (A.Expr | null)[] = [];
    for (const o of nodes) operands.push(this.operand(o));
    return this.climb(operands, operators);
  }

  /** Applies precedence to a flat `operand (op operand)*` chain: * and / bind tighter, all left-associative. */
  private climb(operands: (A.Expr | null)[], operators: IToken[]): A.Expr | null {
    const make = (left: A.Expr | null, opTok: IToken, right: A.Expr | null): A.Expr | null => {
      if (!left) return right;
      const opRange = this.range(opTok);
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
    const clauseNodes = c["whereClause"] as CstNode[] | undefined;
    const clauses = clauseNodes === undefined ? [] : clauseNodes.map((w) => this.whereClause(w));
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
    const signs = c["signs"] as IToken[] | undefined;
    for (let i = (signs?.length ?? 0) - 1; i >= 0; i--) {
      if (!realToken(signs![i])) continue;
      const r = this.range(signs![i]!);
      expr = { kind: "UnaryExpr", op: "-", operand: expr, range: spanRanges(r, expr?.range ?? r) };
    }
    return expr;
  }

  private atom(c: Children): A.Expr | null {
    const id = tok(c, "Identifier");
    if (id) return this.callOrName(id, sub(c, "callArguments"));
    const num = tok(c, "NumberLiteral");
    if (num) return this.number(num);
    const str = tok(c, "StringLiteral");
    if (str) return this.string(str);
    const t = tok(c, "True") ?? tok(c, "False");
    if (t) return { kind: "BoolLiteral", value: t.image === "true", range: this.range(t) };
    const list = sub(c, "list");
    if (list) return this.list(list);
    const layers = tok(c, "Layers");
    if (layers) {
      const from = tok(c, "rangeFrom") ? this.number(tok(c, "rangeFrom")!) : null;
      const to = tok(c, "rangeTo") ? this.number(tok(c, "rangeTo")!) : null;
      const lr = this.range(layers);
      return { kind: "LayerRange", from, to, range: spanRanges(lr, (to ?? from)?.range ?? lr) };
    }
    const open = tok(c, "LParen");
    if (open) {
      const close = tok(c, "RParen");
      const inner = this.expressionOf(sub(c, "expression"));
      return { kind: "ParenExpr", expr: inner, range: spanRanges(this.range(open), close ? this.range(close) : inner?.range ?? this.range(open)) };
    }
    return null;
  }

  number(t: IToken): A.NumberLiteral {
    const percent = t.image.endsWith("%");
    const base = Number(percent ? t.image.slice(0, -1) : t.image);
    return { kind: "NumberLiteral", value: percent ? base / 100 : base, percent, raw: t.image, range: this.range(t) };
  }

  string(t: IToken): A.StringLiteral {
    const range = this.range(t);
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
    // Built in source order, so that adjacent tokens share positions (see range).
    const open = tok(c, "LBracket");
    const openRange = open ? this.range(open) : undefined;
    const items: A.Expr[] = [];
    for (const e of subs(c, "items")) {
      const item = this.expressionOf(e);
      if (item) items.push(item);
    }
    const close = tok(c, "RBracket");
    const first = openRange ?? items[0]?.range;
    const last = close ? this.range(close) : items[items.length - 1]?.range ?? first;
    return { kind: "ListExpr", items, range: spanRanges(first!, last!) };
  }

  private callOrName(id: IToken, argsNode: CstNode | undefined): A.Expr {
    if (!argsNode) return { kind: "NameRef", name: id.image, range: this.range(id) };
    const ac = argsNode.children;
    // Built in source order, so that adjacent tokens share positions (see range).
    const idRange = this.range(id);
    const open = tok(ac, "LParen");
    const openRange = open ? this.range(open) : idRange;
    const args: A.Argument[] = [];
    for (const a of subs(ac, "argument")) {
      const arg = this.argument(a);
      if (arg) args.push(arg);
    }
    const close = tok(ac, "RParen");
    const lastArg = args[args.length - 1];
    const endRange = close ? this.range(close) : lastArg?.range ?? openRange;
    const argsRange = spanRanges(openRange, endRange);
    return {
      kind: "CallExpr",
      callee: { kind: "Identifier", name: id.image, range: idRange },
      args,
      argsRange,
      closed: close !== undefined,
      where: [],
      range: spanRanges(idRange, argsRange),
    };
  }

  private argument(node: CstNode): A.Argument | null {
    const c = node.children;
    const id = tok(c, "Identifier");
    const colon = id ? tok(c, "Colon") : undefined;
    if (id && colon) {
      const name = this.identifier(id);
      const value = this.withRangeEnd(this.chain(c), sub(c, "rangeEnd"));
      return { kind: "Argument", name, value, range: spanRanges(name.range, value?.range ?? this.range(colon)) };
    }
    const value = this.withRangeEnd(this.chain(c), sub(c, "rangeEnd"));
    if (!value) return null;
    return { kind: "Argument", name: null, value, range: value.range };
  }

  /** `from..to`: the argument's value becomes a range when `..` follows it. */
  private withRangeEnd(from: A.Expr | null, end: CstNode | undefined): A.Expr | null {
    if (!from || !end) return from;
    const to = this.chain(end.children);
    const dots = tok(end.children, "DotDot");
    return { kind: "Range", from, to, range: spanRanges(from.range, to?.range ?? (dots ? tokenRange(dots) : from.range)) };
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
      const lr = this.range(layers);
      selector = { kind: "LayerSelector", from, to, range: spanRanges(lr, (to ?? from)?.range ?? lr) };
    }
    const entries: A.WhereEntry[] = [];
    for (const e of subs(c, "whereEntry")) {
      const id = tok(e.children, "Identifier");
      if (!id) continue;
      const name = this.identifier(id);
      const value = this.chain(e.children);
      entries.push({ kind: "WhereEntry", name, value, range: spanRanges(name.range, value?.range ?? name.range) });
    }
    const close = tok(c, "RBrace");
    const start = kw ? this.range(kw) : selector?.range ?? entries[0]?.range;
    const end = close ? this.range(close) : entries[entries.length - 1]?.range ?? selector?.range ?? start;
    return { kind: "WhereClause", selector, entries, closed: close !== undefined, range: spanRanges(start!, end!) };
  }
}

/** Deepest an expression tree may be (measured in nodes from its root). */
export const MAX_EXPRESSION_DEPTH = 1000;

function childExprs(e: A.Expr, out: A.Expr[]): void {
  switch (e.kind) {
    case "ListExpr":
      for (const i of e.items) out.push(i);
      return;
    case "ParenExpr":
      if (e.expr) out.push(e.expr);
      return;
    case "UnaryExpr":
      if (e.operand) out.push(e.operand);
      return;
    case "BinaryExpr":
      out.push(e.left);
      if (e.right) out.push(e.right);
      return;
    case "CallExpr":
      for (const a of e.args) if (a.value) out.push(a.value);
      for (const w of e.where) for (const en of w.entries) if (en.value) out.push(en.value);
      return;
    default:
      return;
  }
}

/** The first node found below MAX_EXPRESSION_DEPTH levels, or null; walked with a stack of its own. */
function tooDeepAt(root: A.Expr): A.Expr | null {
  const stack: { e: A.Expr; depth: number }[] = [{ e: root, depth: 1 }];
  const kids: A.Expr[] = [];
  while (stack.length > 0) {
    const { e, depth } = stack.pop()!;
    if (depth > MAX_EXPRESSION_DEPTH) return e;
    kids.length = 0;
    childExprs(e, kids);
    for (const k of kids) stack.push({ e: k, depth: depth + 1 });
  }
  return null;
}
