/**
 * Notebook magics: lines starting with `%` (never valid recipe syntax, so no clash). They are taken
 * out of the cell before it is analyzed, replaced by spaces so every offset, line and column of the
 * code stays the same.
 */

export interface MagicLine {
  name: string;
  /** The rest of the line, trimmed. */
  args: string;
  /** 1-based line in the cell. */
  line: number;
}

export interface SplitCell {
  magics: MagicLine[];
  /** The cell with magic lines replaced by spaces. */
  code: string;
}

const MAGIC = /^[ \t]*%([A-Za-z_][\w-]*)?(.*)$/;

export function splitMagics(cell: string): SplitCell {
  const magics: MagicLine[] = [];
  const lines = cell.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = MAGIC.exec(lines[i]!);
    if (!m) continue;
    magics.push({ name: m[1] ?? "", args: (m[2] ?? "").trim(), line: i + 1 });
    lines[i] = " ".repeat(lines[i]!.length);
  }
  return { magics, code: lines.join("\n") };
}

/** The magics a session understands, with their help text. */
export const magicHelp: Readonly<Record<string, string>> = {
  cache: "%cache shows the tensor cache; %cache SIZE (e.g. 2GB, 0 to turn it off) sets its memory cap; %cache clear empties it",
  who: "%who lists the names bound so far, with their types",
  reset: "%reset forgets every binding and empties the tensor cache",
  magics: "%magics lists these magics",
};
