/** Between the language service's ranges (1-based lines and columns, offsets) and the protocol's (0-based). */
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  type Position as LspPosition,
  type Range as LspRange,
} from "vscode-languageserver/node";
import type { Range } from "../language/ast.js";
import type { Diagnostic, Severity } from "../language/diagnostics.js";

export function toLspRange(r: Range): LspRange {
  return {
    start: { line: r.start.line - 1, character: r.start.column - 1 },
    end: { line: r.end.line - 1, character: r.end.column - 1 },
  };
}

export function toLspPosition(p: Range["start"]): LspPosition {
  return { line: p.line - 1, character: p.column - 1 };
}

export function contains(r: Range, offset: number): boolean {
  return r.start.offset <= offset && offset <= r.end.offset;
}

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The recipe's file path for a document URI; untitled documents live in `fallbackDir`. */
export function uriToPath(uri: string, fallbackDir: string): string {
  if (uri.startsWith("file:")) {
    try {
      return fileURLToPath(uri);
    } catch {
      // a malformed file URI: treat it as untitled
    }
  }
  const name = uri.replace(/^.*[/:]/, "") || "untitled";
  return join(fallbackDir, name.endsWith(".merge") ? name : `${name}.merge`);
}

/** A workspace folder's path, or null for folders that are not on disk. */
export function folderPath(uri: string): string | null {
  try {
    return uri.startsWith("file:") ? fileURLToPath(uri) : null;
  } catch {
    return null;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

export function toLspDiagnostic(d: Diagnostic, uri: string): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toLspRange(d.range),
    severity: severities[d.severity],
    code: d.code,
    source: "mergelang",
    message: d.message,
  };
  if (d.related?.length) {
    out.relatedInformation = d.related.map(
      (r): DiagnosticRelatedInformation => ({
        message: r.message,
        location: { uri: r.file ? pathToUri(r.file) : uri, range: toLspRange(r.range) },
      }),
    );
  }
  const tags = (d.tags ?? []).map((t) => (t === "unnecessary" ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated));
  if (tags.length) out.tags = tags;
  return out;
}
