/** Inlay hints: how many tensors a where selector matches, and the parameters a call leaves at their defaults. */
import { InlayHintKind, type InlayHint, type Range as LspRange } from "vscode-languageserver/node";
import { selectorMatches } from "../graph/params.js";
import type { Selector } from "../graph/graph.js";
import type { Analysis } from "../language/analyzer.js";
import type { WhereClause } from "../language/ast.js";
import { toLspPosition } from "./convert.js";
import { familyOf } from "./hover.js";

function inside(line: number, range: LspRange): boolean {
  return line >= range.start.line && line <= range.end.line;
}

function selectorOf(w: WhereClause): Selector | null {
  const s = w.selector;
  if (s?.kind === "GlobSelector") return { kind: "glob", pattern: s.pattern.value };
  if (s?.kind === "LayerSelector" && s.from) return { kind: "layers", from: s.from.value, to: (s.to ?? s.from).value };
  return null;
}

export function inlayHints(analysis: Analysis, range: LspRange): InlayHint[] {
  const hints: InlayHint[] = [];
  for (const info of analysis.calls) {
    const call = info.call;
    if (call.range.end.line - 1 < range.start.line || call.range.start.line - 1 > range.end.line) continue;
    const family = call.where.length ? familyOf(analysis, call) : null;
    for (const w of call.where) {
      const sel = selectorOf(w);
      if (!sel || !family || !w.selector || !inside(w.selector.range.end.line - 1, range)) continue;
      let count = 0;
      for (const t of family.tensors.keys()) if (selectorMatches(sel, t)) count++;
      hints.push({
        position: toLspPosition(w.selector.range.end),
        label: `${count} tensor${count === 1 ? "" : "s"}`,
        paddingLeft: true,
        tooltip: `${count} of the models' ${family.tensors.size} tensors get this clause's values`,
      });
    }
    const defaults = info.spec.params.filter(
      (p) => p.default !== undefined && !p.variadic && !info.given.has(p.name) && !p.types.includes("Model"),
    );
    if (!call.closed || defaults.length === 0) continue;
    const close = call.argsRange.end;
    if (!inside(close.line - 1, range)) continue;
    const at = { line: close.line - 1, character: close.column - 2 }; // just before ')'
    hints.push({
      position: at,
      label: `${call.args.length ? ", " : ""}${defaults.map((p) => `${p.name}: ${JSON.stringify(p.default)}`).join(", ")}`,
      kind: InlayHintKind.Parameter,
      paddingLeft: false,
      tooltip: `left at their defaults: ${defaults.map((p) => p.name).join(", ")}`,
    });
  }
  return hints;
}
