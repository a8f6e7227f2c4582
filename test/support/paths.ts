/** Where tests find the repository and its committed fixtures, wherever the compiled tests live. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function isRepoRoot(dir: string): boolean {
  const pkg = join(dir, "package.json");
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "mergelang";
  } catch {
    return false;
  }
}

function findUp(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (isRepoRoot(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The repository root: found from the current directory, else from this compiled file. */
export function repoRoot(): string {
  const root = findUp(process.cwd()) ?? findUp(dirname(fileURLToPath(import.meta.url)));
  if (!root) throw new Error("cannot find the mergelang repository root from " + process.cwd());
  return root;
}

export function fixturesDir(...parts: string[]): string {
  return join(repoRoot(), "test", "fixtures", ...parts);
}
