/** The recipe AST. Every node keeps its exact source range; recovered (missing) parts are `null`. */

export interface Position {
  offset: number; // 0-based character offset
  line: number; // 1-based
  column: number; // 1-based
}

export interface Range {
  start: Position;
  /** Exclusive end. */
  end: Position;
}

interface NodeBase {
  range: Range;
}

export interface Identifier extends NodeBase {
  kind: "Identifier";
  name: string;
}

export interface NumberLiteral extends NodeBase {
  kind: "NumberLiteral";
  value: number;
  percent: boolean;
  raw: string;
}

export interface StringLiteral extends NodeBase {
  kind: "StringLiteral";
  value: string;
  raw: string;
  terminated: boolean;
}

export interface BoolLiteral extends NodeBase {
  kind: "BoolLiteral";
  value: boolean;
}

export interface ListExpr extends NodeBase {
  kind: "ListExpr";
  items: Expr[];
}

export interface NameRef extends NodeBase {
  kind: "NameRef";
  name: string;
}

export interface Argument extends NodeBase {
  kind: "Argument";
  name: Identifier | null; // null for positional arguments
  value: Expr | null; // null when recovery left the value out
}

export interface CallExpr extends NodeBase {
  kind: "CallExpr";
  callee: Identifier;
  args: Argument[];
  /** Range of the argument list including parentheses; `closed` is false when ')' was missing. */
  argsRange: Range;
  closed: boolean;
  where: WhereClause[];
}

export interface GlobSelector extends NodeBase {
  kind: "GlobSelector";
  pattern: StringLiteral;
}

export interface LayerSelector extends NodeBase {
  kind: "LayerSelector";
  from: NumberLiteral | null;
  to: NumberLiteral | null; // null for a single layer `layers 3`
}

export interface WhereEntry extends NodeBase {
  kind: "WhereEntry";
  name: Identifier;
  value: Expr | null;
}

export interface WhereClause extends NodeBase {
  kind: "WhereClause";
  selector: GlobSelector | LayerSelector | null;
  entries: WhereEntry[];
  closed: boolean;
}

export type BinaryOperator = "+" | "-" | "*" | "/";

export interface BinaryExpr extends NodeBase {
  kind: "BinaryExpr";
  op: BinaryOperator;
  opRange: Range;
  left: Expr;
  right: Expr | null;
}

export interface UnaryExpr extends NodeBase {
  kind: "UnaryExpr";
  op: "-";
  operand: Expr | null;
}

export interface ParenExpr extends NodeBase {
  kind: "ParenExpr";
  expr: Expr | null;
}

/** `layers 3..7` (or `layers 3`) as a value: an inclusive range of layer indices, e.g. for slice(). */
export interface LayerRangeExpr extends NodeBase {
  kind: "LayerRange";
  from: NumberLiteral | null;
  to: NumberLiteral | null; // null for a single layer `layers 3`
}

/** `lo..hi` as an argument: an interval of numbers, the space of `search(lo..hi)`. */
export interface RangeExpr extends NodeBase {
  kind: "Range";
  from: Expr;
  to: Expr | null;
}

export type Expr =
  | NumberLiteral
  | RangeExpr
  | LayerRangeExpr
  | StringLiteral
  | BoolLiteral
  | ListExpr
  | NameRef
  | CallExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

export interface AssignStmt extends NodeBase {
  kind: "AssignStmt";
  name: Identifier;
  value: Expr | null;
}

export interface ExprStmt extends NodeBase {
  kind: "ExprStmt";
  expr: Expr;
}

export type Statement = AssignStmt | ExprStmt;

export interface Comment extends NodeBase {
  text: string; // including the leading '#'
}

export interface Program extends NodeBase {
  kind: "Program";
  statements: Statement[];
  comments: Comment[];
}

export type AstNode = Program | Statement | Expr | Argument | WhereClause | WhereEntry | GlobSelector | LayerSelector | Identifier;

/** Children of a node, in source order (for walkers: find node at offset, collect references). */
export function childrenOf(node: AstNode): AstNode[] {
  const out: (AstNode | null)[] = [];
  switch (node.kind) {
    case "Program":
      out.push(...node.statements);
      break;
    case "AssignStmt":
      out.push(node.name, node.value);
      break;
    case "ExprStmt":
      out.push(node.expr);
      break;
    case "ListExpr":
      out.push(...node.items);
      break;
    case "CallExpr":
      out.push(node.callee, ...node.args, ...node.where);
      break;
    case "Argument":
      out.push(node.name, node.value);
      break;
    case "WhereClause":
      out.push(node.selector, ...node.entries);
      break;
    case "WhereEntry":
      out.push(node.name, node.value);
      break;
    case "BinaryExpr":
      out.push(node.left, node.right);
      break;
    case "UnaryExpr":
      out.push(node.operand);
      break;
    case "ParenExpr":
      out.push(node.expr);
      break;
    case "LayerRange":
      out.push(node.from, node.to);
      break;
    case "Range":
      out.push(node.from, node.to);
      break;
    default:
      break;
  }
  return out.filter((n): n is AstNode => n !== null);
}

/** Depth-first walk; return false from the visitor to skip a node's children. */
export function walk(node: AstNode, visit: (node: AstNode, parents: readonly AstNode[]) => boolean | void): void {
  const parents: AstNode[] = [];
  const go = (n: AstNode): void => {
    if (visit(n, parents) === false) return;
    parents.push(n);
    for (const c of childrenOf(n)) go(c);
    parents.pop();
  };
  go(node);
}

/** The innermost node chain whose range contains `offset` (outermost first). */
export function nodePathAt(program: Program, offset: number): AstNode[] {
  const path: AstNode[] = [];
  let current: AstNode | undefined = program;
  while (current) {
    path.push(current);
    current = childrenOf(current).find((c) => c.range.start.offset <= offset && offset <= c.range.end.offset);
  }
  return path;
}

export function rangeText(r: Range): string {
  return `${r.start.line}:${r.start.column}`;
}
