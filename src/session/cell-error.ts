/**
 * A failed cell as Jupyter shows it: `ename` (the diagnostic code, or the kind of runtime failure),
 * `evalue` (the message) and a traceback that points at the cell, line and column with the source
 * line and a caret, like the CLI's diagnostics.
 */
import type { Diagnostic } from "../language/diagnostics.js";
import type { Range } from "../language/ast.js";
import { describeLocation, type CellLocation } from "./cell-source.js";

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** Maps a line/column of the analyzed text to the cell it belongs to. */
export type Locator = (pos: { line: number; column: number }) => CellLocation;

const RED = "\x1b[1;31m";
const YELLOW = "\x1b[1;33m";
const CYAN = "\x1b[36m";
const RESET = "\x1b[0m";

/** The source line with a caret under the range (or under one character when it spans lines). */
export function excerpt(loc: CellLocation, endColumn: number | null): string[] {
  const width = endColumn !== null && endColumn > loc.column ? endColumn - loc.column : 1;
  const gutter = String(loc.line).padStart(4);
  return [`${gutter} | ${loc.sourceLine}`, `${" ".repeat(4)} | ${" ".repeat(Math.max(0, loc.column - 1))}${"^".repeat(width)}`];
}

function endColumnOf(range: Range): number | null {
  return range.end.line === range.start.line ? range.end.column : null;
}

/** One diagnostic as traceback text (ANSI colours, as Jupyter renders them). */
export function formatCellDiagnostic(d: Diagnostic, locate: Locator, count: number | null, color = true): string {
  const loc = locate(d.range.start);
  const sev = color ? `${d.severity === "error" ? RED : YELLOW}${d.severity}${RESET}` : d.severity;
  const lines = [`${sev} ${d.code}: ${d.message}`, `  --> ${describeLocation(loc, count)}`, ...excerpt(loc, endColumnOf(d.range))];
  for (const r of d.related ?? []) {
    if (r.file) {
      lines.push(`    note: ${r.message} (${r.file}:${r.range.start.line}:${r.range.start.column})`);
      continue;
    }
    const at = locate(r.range.start);
    lines.push(`    ${color ? CYAN : ""}note${color ? RESET : ""}: ${r.message} (${describeLocation(at, count)})`);
  }
  return lines.join("\n");
}

/** The error of a cell that did not pass the checks: every error diagnostic, the first one named. */
export function diagnosticsError(errors: readonly Diagnostic[], locate: Locator, count: number | null): CellError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
  return {
    ename: first.code,
    evalue: first.message + more,
    traceback: errors.map((d) => formatCellDiagnostic(d, locate, count)),
  };
}

/** A failure while running (reading a model, merging, writing), at a recipe position when known. */
export function runtimeError(
  ename: string,
  message: string,
  origin: { file: string; line: number; column: number } | undefined,
  locate: Locator,
  count: number | null,
): CellError {
  // The engine prefixes "file:line:col: " to its messages; the traceback says where, in cell terms.
  const plain = origin ? message.replace(`${origin.file}:${origin.line}:${origin.column}: `, "") : message;
  const traceback = [`${RED}${ename}${RESET}: ${plain}`];
  if (origin) {
    const loc = locate(origin);
    traceback.push([`  --> ${describeLocation(loc, count)}`, ...excerpt(loc, null)].join("\n"));
  }
  return { ename, evalue: plain, traceback };
}
