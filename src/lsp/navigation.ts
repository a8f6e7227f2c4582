/** Bindings under the cursor: go to definition, find references, highlights and rename. */
import { ResponseError, ErrorCodes, type Location, type TextEdit, type WorkspaceEdit, type Range as LspRange } from "vscode-languageserver/node";
import type { Analysis, Binding } from "../language/analyzer.js";
import type { Range } from "../language/ast.js";
import { lookupFunction } from "../language/catalog.js";
import { contains, toLspRange } from "./convert.js";

export interface BindingHit {
  binding: Binding;
  /** The declaration or reference under the cursor. */
  range: Range;
}

export function bindingAt(analysis: Analysis, offset: number): BindingHit | null {
  for (const b of analysis.bindings) {
    if (contains(b.declaration.range, offset)) return { binding: b, range: b.declaration.range };
    for (const r of b.references) if (contains(r.range, offset)) return { binding: b, range: r.range };
  }
  return null;
}

export function definition(analysis: Analysis, offset: number, uri: string): Location | null {
  const hit = bindingAt(analysis, offset);
  return hit ? { uri, range: toLspRange(hit.binding.declaration.range) } : null;
}

export function references(analysis: Analysis, offset: number, uri: string, includeDeclaration: boolean): Location[] {
  const hit = bindingAt(analysis, offset);
  if (!hit) return [];
  const ranges = [...(includeDeclaration ? [hit.binding.declaration.range] : []), ...hit.binding.references.map((r) => r.range)];
  return ranges.map((r) => ({ uri, range: toLspRange(r) }));
}

export function highlights(analysis: Analysis, offset: number): { range: LspRange; kind: 1 | 2 | 3 }[] {
  const hit = bindingAt(analysis, offset);
  if (!hit) return [];
  return [
    { range: toLspRange(hit.binding.declaration.range), kind: 3 as const },
    ...hit.binding.references.map((r) => ({ range: toLspRange(r.range), kind: 2 as const })),
  ];
}

export function prepareRename(analysis: Analysis, offset: number): { range: LspRange; placeholder: string } | null {
  const hit = bindingAt(analysis, offset);
  return hit ? { range: toLspRange(hit.range), placeholder: hit.binding.name } : null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(["where", "layers", "true", "false"]);

/** Renames one binding (its declaration and the references that resolve to it). */
export function rename(analysis: Analysis, offset: number, newName: string, uri: string): WorkspaceEdit | null {
  const hit = bindingAt(analysis, offset);
  if (!hit) return null;
  if (!IDENTIFIER.test(newName) || KEYWORDS.has(newName)) {
    throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is not a name: use letters, digits and _, not starting with a digit, and not a keyword`);
  }
  if (lookupFunction(newName)) throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is a built-in function: choose another name`);
  const clash = analysis.bindings.find((b) => b.name === newName && b !== hit.binding);
  if (clash) {
    throw new ResponseError(ErrorCodes.InvalidParams, `'${newName}' is already bound on line ${clash.declaration.range.start.line}: renaming would change what names refer to`);
  }
  const edits: TextEdit[] = [hit.binding.declaration.range, ...hit.binding.references.map((r) => r.range)].map((r) => ({ range: toLspRange(r), newText: newName }));
  return { changes: { [uri]: edits } };
}
