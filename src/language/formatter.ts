/**
 * The canonical layout of a recipe (`mergelang fmt`): one statement per line, single spaces around
 * operators, where clauses on their own lines with their blocks aligned, comments kept. Idempotent.
 * Calls written with one argument per line stay that way (so comments between arguments keep their place).
 */
import type * as A from "./ast.js";
import { parseRecipe } from "./parse.js";
import type { Diagnostic } from "./diagnostics.js";

const INDENT = "  ";

interface OutLine {
  text: string;
  /** Source lines this output line stands for: a comment on one of them is kept at its end. */
  from: number;
  to: number;
}

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/** Formats `text`; refuses (returning the syntax errors) when the recipe does not parse. */
export function formatRecipe(text: string): FormatResult {
  const parsed = parseRecipe(text);
  const syntax = parsed.diagnostics.filter((d) => d.severity === "error");
  if (syntax.length > 0) return { ok: false, diagnostics: syntax };
  return { ok: true, text: new Printer(parsed.program).print() };
}

class Printer {
  constructor(private readonly program: A.Program) {}

  print(): string {
    const { statements, comments } = this.program;
    const out: string[] = [];
    const used = new Set<A.Comment>();
    let lastLine = 0; // last source line emitted
    const emitGap = (line: number): void => {
      if (out.length > 0 && line > lastLine + 1) out.push("");
    };
    let ci = 0;
    for (const stmt of statements) {
      // Standalone comments before this statement.
      while (ci < comments.length && comments[ci]!.range.start.offset < stmt.range.start.offset) {
        const c = comments[ci++]!;
        if (used.has(c)) continue;
        emitGap(c.range.start.line);
        out.push(c.text.trimEnd());
        lastLine = c.range.start.line;
      }
      const lines = this.statement(stmt);
      const endLine = stmt.range.end.line;
      // Comments inside the statement, or trailing on its last line.
      const attached: A.Comment[] = [];
      while (ci < comments.length) {
        const c = comments[ci]!;
        const inside = c.range.start.offset < stmt.range.end.offset;
        const trailing = c.range.start.line === endLine && !statements.some((s) => s !== stmt && s.range.start.offset > stmt.range.start.offset && s.range.start.offset < c.range.start.offset);
        if (!inside && !trailing) break;
        attached.push(c);
        ci++;
      }
      const leftovers: string[] = [];
      const trailers = new Map<OutLine, string>();
      for (const c of attached) {
        const line = lines.find((l) => c.range.start.line >= l.from && c.range.start.line <= l.to && !trailers.has(l));
        if (line) trailers.set(line, c.text.trimEnd());
        else leftovers.push(c.text.trimEnd());
        used.add(c);
      }
      emitGap(stmt.range.start.line);
      for (const l of leftovers) out.push(l);
      for (const l of lines) out.push(trailers.has(l) ? `${l.text}  ${trailers.get(l)}` : l.text);
      lastLine = Math.max(endLine, ...attached.map((c) => c.range.start.line));
    }
    for (; ci < comments.length; ci++) {
      const c = comments[ci]!;
      emitGap(c.range.start.line);
      out.push(c.text.trimEnd());
      lastLine = c.range.start.line;
    }
    return out.length ? out.join("\n") + "\n" : "";
  }

  private statement(s: A.Statement): OutLine[] {
    const expr = s.kind === "AssignStmt" ? s.value : s.expr;
    const prefix = s.kind === "AssignStmt" ? `${s.name.name} = ` : "";
    if (!expr) return [{ text: prefix.trimEnd(), from: s.range.start.line, to: s.range.end.line }];
    const call = topCall(expr);
    const head = call ? this.callHead(call, prefix, s.range.start.line) : [{ text: prefix + this.expr(expr), from: s.range.start.line, to: s.range.end.line }];
    if (!call || call.where.length === 0) return head;
    const selectors = call.where.map((w) => this.selector(w));
    const width = Math.max(...selectors.map((x) => x.length));
    const whereLines = call.where.map((w, i) => ({
      text: `${INDENT}where ${selectors[i]!.padEnd(width)} ${this.block(w)}`,
      from: w.range.start.line,
      to: w.range.end.line,
    }));
    const headEnd = call.where[0]!.range.start.line - 1;
    const last = head[head.length - 1]!;
    last.to = Math.max(last.from, Math.min(last.to, headEnd));
    return [...head, ...whereLines];
  }

  /** A call with its arguments, on one line or, as written, one argument per line. */
  private callHead(call: A.CallExpr, prefix: string, startLine: number): OutLine[] {
    const argsEndLine = call.argsRange.end.line;
    if (!this.writtenMultiline(call)) {
      return [{ text: `${prefix}${call.callee.name}(${call.args.map((a) => this.arg(a)).join(", ")})`, from: startLine, to: argsEndLine }];
    }
    const lines: OutLine[] = [{ text: `${prefix}${call.callee.name}(`, from: startLine, to: call.argsRange.start.line }];
    call.args.forEach((a, i) => {
      const next = call.args[i + 1];
      lines.push({ text: `${INDENT}${this.arg(a)},`, from: a.range.start.line, to: next ? next.range.start.line - 1 : argsEndLine - 1 });
    });
    lines.push({ text: ")", from: argsEndLine, to: argsEndLine });
    return lines;
  }

  private writtenMultiline(call: A.CallExpr): boolean {
    if (call.args.length === 0) return false;
    let line = call.argsRange.start.line;
    for (const a of call.args) {
      if (a.range.start.line !== line) return true;
      line = a.range.end.line;
    }
    return false;
  }

  private selector(w: A.WhereClause): string {
    const s = w.selector;
    if (!s) return "";
    if (s.kind === "GlobSelector") return s.pattern.raw;
    return s.to ? `layers ${s.from!.raw}..${s.to.raw}` : `layers ${s.from!.raw}`;
  }

  private block(w: A.WhereClause): string {
    if (w.entries.length === 0) return "{}";
    return `{ ${w.entries.map((e) => `${e.name.name}: ${e.value ? this.expr(e.value) : ""}`).join(", ")} }`;
  }

  private arg(a: A.Argument): string {
    const v = a.value ? this.expr(a.value) : "";
    return a.name ? `${a.name.name}: ${v}` : v;
  }

  expr(e: A.Expr): string {
    switch (e.kind) {
      case "NumberLiteral":
        return e.raw;
      case "StringLiteral":
        return e.raw;
      case "BoolLiteral":
        return String(e.value);
      case "NameRef":
        return e.name;
      case "ListExpr":
        return `[${e.items.map((i) => this.expr(i)).join(", ")}]`;
      case "ParenExpr":
        return `(${e.expr ? this.expr(e.expr) : ""})`;
      case "Range":
        return `${this.expr(e.from)}..${e.to ? this.expr(e.to) : ""}`;
      case "LayerRange":
        return e.to ? `layers ${e.from?.raw ?? ""}..${e.to.raw}` : `layers ${e.from?.raw ?? ""}`;
      case "UnaryExpr":
        return `-${e.operand ? this.expr(e.operand) : ""}`;
      case "BinaryExpr":
        return `${this.expr(e.left)} ${e.op} ${e.right ? this.expr(e.right) : ""}`;
      case "CallExpr": {
        const head = `${e.callee.name}(${e.args.map((a) => this.arg(a)).join(", ")})`;
        return head + e.where.map((w) => ` where ${this.selector(w)} ${this.block(w)}`).join("");
      }
    }
  }
}

/** The call a statement is made of (where clauses belong to it), if any. */
function topCall(e: A.Expr): A.CallExpr | null {
  return e.kind === "CallExpr" ? e : null;
}
