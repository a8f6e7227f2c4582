/** Paths in messages: as the user's shell would name them. */
import { isAbsolute, relative } from "node:path";

/** `path` relative to the working folder when it is inside it, else as it is. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
