/**
 * The kernel's input history (Jupyter's history_request: tail, range and search), kept in memory
 * for the life of the kernel. Session number 1 is this kernel's session.
 */

export interface HistoryEntry {
  line: number;
  input: string;
  /** The text/plain of the cell's result, if it had one. */
  output: string | null;
}

export interface HistoryRequest {
  output?: boolean;
  raw?: boolean;
  hist_access_type?: "tail" | "range" | "search";
  session?: number;
  start?: number;
  stop?: number;
  n?: number | null;
  pattern?: string;
  unique?: boolean;
}

export const CURRENT_SESSION = 1;

type Row = [number, number, string] | [number, number, [string, string | null]];

/** fnmatch-style: `*` any run, `?` one character, the rest literal; matches the whole input. */
function globMatcher(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[\\s\\S]*").replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}

export class History {
  private readonly entries: HistoryEntry[] = [];

  add(entry: HistoryEntry): void {
    this.entries.push(entry);
  }

  get size(): number {
    return this.entries.length;
  }

  query(req: HistoryRequest): Row[] {
    let found: HistoryEntry[];
    const n = typeof req.n === "number" && req.n > 0 ? req.n : null;
    switch (req.hist_access_type ?? "tail") {
      case "range": {
        const session = req.session ?? 0;
        // 0 or a negative (relative) session means this one; there are no earlier sessions.
        if (session > 0 && session !== CURRENT_SESSION) return [];
        if (session < 0) return [];
        const start = req.start ?? 0;
        const stop = req.stop ?? null;
        found = this.entries.filter((e) => e.line >= start && (stop === null || stop <= 0 || e.line < stop));
        break;
      }
      case "search": {
        const re = globMatcher(req.pattern ?? "*");
        found = this.entries.filter((e) => re.test(e.input));
        if (req.unique) {
          const seen = new Set<string>();
          found = found.reverse().filter((e) => (seen.has(e.input) ? false : (seen.add(e.input), true))).reverse();
        }
        if (n !== null) found = found.slice(-n);
        break;
      }
      default:
        found = n !== null ? this.entries.slice(-n) : [...this.entries];
    }
    return found.map((e): Row => (req.output ? [CURRENT_SESSION, e.line, [e.input, e.output]] : [CURRENT_SESSION, e.line, e.input]));
  }
}
