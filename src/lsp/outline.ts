/** Document symbols (the outline) and folding ranges. */
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type FoldingRange } from "vscode-languageserver/node";
import type { Analysis } from "../language/analyzer.js";
import type * as A from "../language/ast.js";
import { lookupFunction } from "../language/catalog.js";
import type { Value } from "../language/values.js";
import { toLspRange } from "./convert.js";
import { typeLabel } from "./describe.js";

function kindOf(v: Value | undefined): SymbolKind {
  switch (v?.type) {
    case "Model":
      return SymbolKind.Module;
    case "Delta":
    case "Scaled":
      return SymbolKind.Variable;
    case "Report":
      return SymbolKind.Event;
    case "Number":
    case "String":
    case "Bool":
    case "Ramp":
    case "List":
      return SymbolKind.Constant;
    default:
      return SymbolKind.Variable;
  }
}

function whereSymbols(e: A.Expr | null): DocumentSymbol[] {
  if (e?.kind !== "CallExpr") return [];
  return e.where.map((w) => {
    const s = w.selector;
    const name = !s ? "where" : s.kind === "GlobSelector" ? `where ${s.pattern.raw}` : `where layers ${s.from?.raw ?? "?"}${s.to ? `..${s.to.raw}` : ""}`;
    return {
      name,
      detail: w.entries.map((en) => en.name.name).join(", "),
      kind: SymbolKind.Struct,
      range: toLspRange(w.range),
      selectionRange: toLspRange(s?.range ?? w.range),
    };
  });
}

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const byStatement = new Map(analysis.bindings.map((b) => [b.statement as A.Statement, b]));
  const out: DocumentSymbol[] = [];
  for (const s of analysis.program.statements) {
    if (s.kind === "AssignStmt") {
      const b = byStatement.get(s);
      out.push({
        name: s.name.name,
        detail: b ? typeLabel(b.value) : "",
        kind: kindOf(b?.value),
        range: toLspRange(s.range),
        selectionRange: toLspRange(s.name.range),
        children: whereSymbols(s.value),
      });
    } else if (s.expr.kind === "CallExpr") {
      const spec = lookupFunction(s.expr.callee.name);
      out.push({
        name: `${s.expr.callee.name}(…)`,
        detail: spec?.summary.split(":")[0] ?? "",
        kind: spec?.kind === "effect" ? SymbolKind.Event : spec?.kind === "report" ? SymbolKind.Event : SymbolKind.Function,
        range: toLspRange(s.range),
        selectionRange: toLspRange(s.expr.callee.range),
        children: whereSymbols(s.expr),
      });
    }
  }
  return out;
}

export function foldingRanges(program: A.Program): FoldingRange[] {
  const out: FoldingRange[] = [];
  const add = (r: A.Range, kind?: FoldingRangeKind): void => {
    if (r.end.line > r.start.line) out.push({ startLine: r.start.line - 1, endLine: r.end.line - 1, ...(kind ? { kind } : {}) });
  };
  for (const s of program.statements) {
    add(s.range);
    const e = s.kind === "AssignStmt" ? s.value : s.expr;
    if (e?.kind === "CallExpr") {
      add(e.argsRange);
      for (const w of e.where) add(w.range);
    }
  }
  // Runs of two or more comment lines.
  let run: A.Comment[] = [];
  const flush = (): void => {
    if (run.length >= 2) add({ start: run[0]!.range.start, end: run[run.length - 1]!.range.end }, FoldingRangeKind.Comment);
    run = [];
  };
  for (const c of program.comments) {
    const prev = run[run.length - 1];
    if (prev && c.range.start.line !== prev.range.start.line + 1) flush();
    run.push(c);
  }
  flush();
  // One range per start line (the outermost): editors ignore the others anyway.
  const byLine = new Map<number, FoldingRange>();
  for (const f of out) {
    const known = byLine.get(f.startLine);
    if (!known || f.endLine > known.endLine) byLine.set(f.startLine, f);
  }
  return [...byLine.values()].sort((a, b) => a.startLine - b.startLine);
}
