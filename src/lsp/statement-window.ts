/**
 * The statement around the cursor, found from the text alone: completion and signature help parse just
 * this window (a few lines) instead of the whole recipe, so they stay fast on long recipes while
 * typing. Boundaries follow the parser's own rule: a line that starts with `name =` starts a statement.
 */
import type { ParseResult } from "../language/parse.js";
import { parseRecipe } from "../language/parse.js";

const STATEMENT_START = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/;
const KEYWORDS = new Set(["where", "layers", "true", "false"]);

/** The name a line binds when it starts an assignment, else null. */
export function assignedName(line: string): string | null {
  const m = STATEMENT_START.exec(line);
  return m && !KEYWORDS.has(m[1]!) ? m[1]! : null;
}

export interface StatementWindow {
  /** Absolute offsets of the window in the document text. */
  start: number;
  end: number;
  /** The window's text parsed on its own: every offset in it is relative to `start`. */
  parse: ParseResult;
}

function lineAt(text: string, lineStart: number): string {
  const end = text.indexOf("\n", lineStart);
  return text.slice(lineStart, end < 0 ? text.length : end);
}

/** Lines from the last statement start at or before `offset` to the next statement start after it. */
export function statementWindow(text: string, offset: number, maxLines = 200): StatementWindow {
  const cursorLine = text.lastIndexOf("\n", offset - 1) + 1;
  let start = cursorLine;
  for (let i = 0; i < maxLines && start > 0 && assignedName(lineAt(text, start)) === null; i++) {
    start = text.lastIndexOf("\n", start - 2) + 1;
  }
  let end = text.length;
  let next = text.indexOf("\n", offset);
  for (let i = 0; i < maxLines && next >= 0; i++) {
    const lineStart = next + 1;
    if (assignedName(lineAt(text, lineStart)) !== null) {
      end = lineStart;
      break;
    }
    next = text.indexOf("\n", lineStart);
    if (i === maxLines - 1) end = lineStart;
  }
  return { start, end, parse: parseRecipe(text.slice(start, end)) };
}

/** Names bound by `name =` lines before `offset` (the text before a window, scanned without parsing). */
export function namesBoundBefore(text: string, offset: number): string[] {
  const names: string[] = [];
  const re = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=/gm;
  const head = text.slice(0, offset);
  for (let m = re.exec(head); m; m = re.exec(head)) if (!KEYWORDS.has(m[1]!)) names.push(m[1]!);
  return names;
}
