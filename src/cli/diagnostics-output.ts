/** Diagnostics as the terminal shows them: `file:line:col: error CODE: message`, with a source excerpt. */
import { relative } from "node:path";
import type { Diagnostic } from "../language/diagnostics.js";

export function formatDiagnostic(file: string, d: Diagnostic, text?: string, color = false): string {
  const name = relative(process.cwd(), file) || file;
  const sev = color ? paint(d.severity) : d.severity;
  let out = `${name}:${d.range.start.line}:${d.range.start.column}: ${sev} ${d.code}: ${d.message}`;
  if (text !== undefined) {
    const line = text.split(/\r?\n/)[d.range.start.line - 1];
    if (line !== undefined) {
      const width = d.range.end.line === d.range.start.line ? Math.max(1, d.range.end.column - d.range.start.column) : Math.max(1, line.length - d.range.start.column + 1);
      const gutter = String(d.range.start.line).padStart(4);
      out += `\n${gutter} | ${line}\n${" ".repeat(4)} | ${" ".repeat(d.range.start.column - 1)}${"^".repeat(width)}`;
    }
  }
  for (const r of d.related ?? []) out += `\n    ${r.file ? relative(process.cwd(), r.file) + ":" : ""}${r.range.start.line}:${r.range.start.column}: note: ${r.message}`;
  return out;
}

function paint(sev: Diagnostic["severity"]): string {
  const codes: Record<Diagnostic["severity"], string> = { error: "31", warning: "33", info: "36", hint: "2" };
  return `\x1b[1;${codes[sev]}m${sev}\x1b[0m`;
}

export function diagnosticToJson(file: string, d: Diagnostic): Record<string, unknown> {
  return {
    file,
    line: d.range.start.line,
    column: d.range.start.column,
    endLine: d.range.end.line,
    endColumn: d.range.end.column,
    severity: d.severity,
    code: d.code,
    message: d.message,
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, line: r.range.start.line, column: r.range.start.column, file: r.file ?? file })) } : {}),
    ...(d.fixes ? { fixes: d.fixes.map((f) => f.title) } : {}),
  };
}
