/**
 * The search journal: one JSON line per evaluated candidate after a header naming the search, so a
 * search that is stopped (Ctrl-C, a kill, a crash) resumes where it stopped. Strategies are seeded and
 * told in proposal order, so replaying the journal's scores reproduces the same next candidates.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface JournalHeader {
  kind: "search";
  version: 1;
  /** sha256 of the recipe text: another recipe is another search. */
  recipe: string;
  strategy: string;
  seed: number;
  goal: "max" | "min";
  dimensions: string[];
}

export interface JournalEntry {
  kind: "candidate";
  index: number;
  /** Parameter values, by dimension name. */
  values: Record<string, number>;
  /** The strategy's point in the unit cube. */
  unit: number[];
  score: number;
  seconds: number;
  at: string;
}

export class JournalError extends Error {
  override readonly name = "JournalError";
}

export class Journal {
  private constructor(
    readonly path: string,
    readonly entries: Map<number, JournalEntry>,
  ) {}

  /** Opens `path` for `header`: a new journal, or the entries of the same search so far. */
  static open(path: string, header: JournalHeader, fresh: boolean): Journal {
    mkdirSync(dirname(path), { recursive: true });
    if (fresh || !existsSync(path)) {
      writeFileSync(path, JSON.stringify(header) + "\n");
      return new Journal(path, new Map());
    }
    const lines = readFileSync(path, "utf8").split("\n");
    let found: JournalHeader;
    try {
      found = JSON.parse(lines[0] ?? "") as JournalHeader;
    } catch {
      throw new JournalError(`${path}:1: not a search journal (remove it, or start over with --fresh)`);
    }
    for (const key of ["recipe", "strategy", "seed", "goal"] as const) {
      if (found[key] !== header[key]) {
        const what = key === "recipe" ? "the recipe changed since" : `its ${key} is ${JSON.stringify(found[key])}, not ${JSON.stringify(header[key])}`;
        throw new JournalError(`${path}: this journal belongs to another search (${what}): start over with --fresh, or give optimize(...) another out:`);
      }
    }
    if (JSON.stringify(found.dimensions) !== JSON.stringify(header.dimensions)) {
      throw new JournalError(`${path}: this journal searched ${found.dimensions.join(", ")}, not ${header.dimensions.join(", ")}: start over with --fresh`);
    }
    const entries = new Map<number, JournalEntry>();
    lines.slice(1).forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (e.kind === "candidate" && Number.isInteger(e.index)) entries.set(e.index, e);
      } catch {
        // A line cut short by a kill mid-write: that candidate is evaluated again.
        if (i + 2 < lines.length - 1) throw new JournalError(`${path}:${i + 2}: damaged journal line`);
      }
    });
    // Keep the file's last line whole before appending to it.
    const text = readFileSync(path, "utf8");
    if (!text.endsWith("\n")) appendFileSync(path, "\n");
    return new Journal(path, entries);
  }

  append(entry: JournalEntry): void {
    this.entries.set(entry.index, entry);
    appendFileSync(this.path, JSON.stringify(entry) + "\n");
  }
}
