/**
 * Checks of the folders the saves of a recipe write, before anything runs: a save must not
 * replace, write into or replace a folder above an input model; two saves must not write the same
 * folder; and an existing folder is replaced only when mergelang wrote it (or `overwrite: true`).
 */
import { isAbsolute, resolve } from "node:path";
import type { CallExpr, Range } from "./ast.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { conflictWords, inputConflict, realish } from "../io/output-target.js";
import { replaceRefusal } from "../io/atomic-dir.js";
import type { LoadAtom } from "./values.js";

export interface PlannedSave {
  call: CallExpr;
  /** As written in the recipe. */
  path: string;
  pathRange: Range;
  overwrite: boolean;
}

export interface SaveCheckOptions {
  /** The recipe's folder: relative save paths start there. */
  dir: string;
  /** Also look at what already lies at the outputs (false where the file system is not consulted). */
  fileSystem: boolean;
  /** Every save may replace existing folders (the CLI's --overwrite). */
  overwrite: boolean;
  source: (n: { range: Range }) => string;
}

export function checkSaves(saves: readonly PlannedSave[], inputs: readonly LoadAtom[], opts: SaveCheckOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, PlannedSave>();
  for (const s of saves) {
    const abs = isAbsolute(s.path) ? s.path : resolve(opts.dir, s.path);
    let overInput = false;
    for (const input of inputs) {
      const c = inputConflict(abs, input.path);
      if (c === null) continue;
      overInput = true;
      out.push(
        diagnostic(
          "save-over-input",
          "error",
          s.pathRange,
          `this save would write ${conflictWords(c)} the input ${opts.source(input.call)} (${input.path}), destroying it: save to another folder`,
          { related: [{ message: `the input ${input.path} is read here`, range: input.call.range }] },
        ),
      );
    }
    const key = realish(abs);
    const earlier = seen.get(key);
    if (earlier) {
      out.push(
        diagnostic(
          "save-twice",
          "error",
          s.pathRange,
          `this save writes the same folder as the save on line ${earlier.call.range.start.line} (${abs}): the second would replace the first; give each save its own folder`,
          { related: [{ message: "the first save of this folder", range: earlier.pathRange }] },
        ),
      );
      continue;
    }
    seen.set(key, s);
    if (opts.fileSystem && !overInput) {
      const why = replaceRefusal(abs, { overwrite: s.overwrite || opts.overwrite });
      if (why !== null) out.push(diagnostic("output-exists", "error", s.pathRange, why));
    }
  }
  return out;
}
