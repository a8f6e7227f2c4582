/**
 * A notebook's recipe text: the cells that ran cleanly, kept as a prelude so later cells see their
 * bindings, plus the cell being run. The whole text is analyzed together; positions in it are
 * mapped back to a cell and a line within that cell.
 */
export interface CellSegment {
  /** The cell's execution count, null when it ran without one (a Session used from code). */
  executionCount: number | null;
  /** Offset and 1-based line of the segment's first character in the prelude. */
  startOffset: number;
  startLine: number;
  text: string;
}

/** The prelude and one new cell as one recipe. */
export interface ComposedSource {
  text: string;
  /** Where the new cell starts in `text`. */
  cellOffset: number;
  cellLine: number;
}

/** Where a position of the composed text is, in cell terms. */
export interface CellLocation {
  /** The earlier cell holding it, or null for the new cell. */
  segment: CellSegment | null;
  /** 1-based, within the cell. */
  line: number;
  column: number;
  /** That line of the cell's text. */
  sourceLine: string;
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

export class Prelude {
  private readonly segments: CellSegment[] = [];
  private text = "";
  private lines = 0;

  get source(): string {
    return this.text;
  }

  get cells(): readonly CellSegment[] {
    return this.segments;
  }

  compose(cell: string): ComposedSource {
    if (this.segments.length === 0) return { text: cell, cellOffset: 0, cellLine: 1 };
    return { text: this.text + "\n" + cell, cellOffset: this.text.length + 1, cellLine: this.lines + 1 };
  }

  /** Keeps a cell that ran: its bindings are visible to the cells after it. */
  append(cell: string, executionCount: number | null): void {
    const composed = this.compose(cell);
    this.segments.push({ executionCount, startOffset: composed.cellOffset, startLine: composed.cellLine, text: cell });
    this.text = composed.text;
    this.lines = lineCount(this.text);
  }

  clear(): void {
    this.segments.length = 0;
    this.text = "";
    this.lines = 0;
  }

  /** Maps a 1-based line and column of `composed` (made by `compose(cellText)`) back to its cell. */
  locate(composed: ComposedSource, cellText: string, pos: { line: number; column: number }): CellLocation {
    if (pos.line >= composed.cellLine || this.segments.length === 0) {
      const line = pos.line - composed.cellLine + 1;
      return { segment: null, line, column: pos.column, sourceLine: cellText.split("\n")[line - 1] ?? "" };
    }
    let segment = this.segments[0]!;
    for (const s of this.segments) if (s.startLine <= pos.line) segment = s;
    const line = pos.line - segment.startLine + 1;
    return { segment, line, column: pos.column, sourceLine: segment.text.split("\n")[line - 1] ?? "" };
  }
}

/** "Cell In[3], line 2" (IPython's wording), or "this cell, line 2" without a count. */
export function describeLocation(loc: CellLocation, currentCount: number | null): string {
  const count = loc.segment ? loc.segment.executionCount : currentCount;
  const cell = count === null ? (loc.segment ? "an earlier cell" : "this cell") : `Cell In[${count}]`;
  return `${cell}, line ${loc.line}, column ${loc.column}`;
}
