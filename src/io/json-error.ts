/**
 * A JSON syntax error described by its position only. JSON.parse's own messages quote the text
 * around the error, which for a file that is not JSON at all (a password file, a key) would print
 * its contents.
 */
export function jsonErrorWhere(error: unknown, text: string): string {
  const m = /at position (\d+)/.exec(error instanceof Error ? error.message : "");
  if (!m) {
    if (text.trim() === "") return "it is empty";
    return /Unexpected end of JSON/.test(error instanceof Error ? error.message : "") ? "it ends before the JSON is complete" : "it is not JSON";
  }
  const offset = Math.min(Number(m[1]), text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `syntax error at line ${line}, column ${offset - lineStart + 1}`;
}
