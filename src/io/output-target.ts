/**
 * Where a save may write: never over, into or above a folder an input model is read from, and
 * never over a file an input is. Paths are compared after symbolic links are resolved (for the part
 * of a path that exists), so `out -> models/task_a` is caught too.
 */
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";

/** The real path of `p`'s longest existing prefix, with the rest appended. */
export function realish(p: string): string {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return p;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

export type InputConflict = "over" | "into" | "above";

/**
 * How saving to `output` would touch the input model at `input` (a folder, or a .safetensors file),
 * or null when it would not: "over" replaces it, "into" writes inside its folder, "above" replaces
 * a folder that holds it.
 */
export function inputConflict(output: string, input: string): InputConflict | null {
  const out = realish(output);
  const inp = realish(input);
  if (out === inp) return "over";
  if (within(out, inp)) return "above";
  let folder = false;
  try {
    folder = statSync(inp).isDirectory();
  } catch {
    folder = !inp.endsWith(".safetensors");
  }
  return folder && within(inp, out) ? "into" : null;
}

/** `inputConflict`'s answer in words, for messages. */
export function conflictWords(c: InputConflict): string {
  return c === "over" ? "over" : c === "into" ? "into the folder of" : "over a folder that holds";
}
