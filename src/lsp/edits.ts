/** Edits the server offers: quick fixes from the diagnostics' fixes, and whole-document formatting. */
import { CodeActionKind, type CodeAction, type Range as LspRange, type TextEdit } from "vscode-languageserver/node";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { formatRecipe } from "../language/formatter.js";
import type { CheckedRecipe } from "../language/service.js";
import { toLspDiagnostic, toLspRange } from "./convert.js";

function overlaps(a: LspRange, b: LspRange): boolean {
  const before = (p: LspRange["start"], q: LspRange["start"]): boolean => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

/** One quick fix per fix of each diagnostic touching `range` (did-you-mean, add base:, wrap in linear). */
export function quickFixes(checked: CheckedRecipe, uri: string, range: LspRange): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of checked.diagnostics) {
    if (!d.fixes?.length || !overlaps(toLspRange(d.range), range)) continue;
    for (const fix of d.fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [toLspDiagnostic(d, uri)],
        isPreferred: d.fixes.length === 1,
        edit: { changes: { [uri]: fix.edits.map((e) => ({ range: toLspRange(e.range), newText: e.newText })) } },
      });
    }
  }
  return actions;
}

/** The canonical layout as one edit; none when already formatted or when the recipe does not parse. */
export function formatDocument(doc: TextDocument): TextEdit[] {
  const text = doc.getText();
  const result = formatRecipe(text);
  if (!result.ok || result.text === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: result.text }];
}
