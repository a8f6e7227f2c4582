/**
 * Regenerates the editor files in `grammar/` (TextMate grammar, language configuration, syntax diagrams,
 * serialized grammar) from the lexer, the parser and the function catalog.
 *
 *   node dist/scripts/generate-grammar.js           write the files
 *   node dist/scripts/generate-grammar.js --check   exit 1 and name the files that are out of date
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { staleGrammarFiles, writeGrammarFiles, type GrammarFileChange } from "./grammar/outputs.js";

function isRepoRoot(dir: string): boolean {
  const pkg = join(dir, "package.json");
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "mergelang";
  } catch {
    return false;
  }
}

/** The repository root: up from the current directory, else up from this script. */
function findRepoRoot(): string {
  for (const start of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (isRepoRoot(dir)) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the mergelang repository (a package.json named "mergelang") above ${process.cwd()}`);
}

const describe = ({ path, change }: GrammarFileChange): string =>
  `  ${path} (${change === "missing" ? "missing" : change === "differs" ? "out of date" : "not generated; would be deleted"})`;

function main(args: string[]): number {
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`generate-grammar: unknown argument ${unknown.join(" ")}\nusage: generate-grammar [--check]\n`);
    return 2;
  }
  const root = findRepoRoot();
  if (args.includes("--check")) {
    const stale = staleGrammarFiles(root);
    if (stale.length === 0) {
      process.stdout.write("grammar files are up to date\n");
      return 0;
    }
    process.stderr.write(`grammar files are stale; run \`npm run grammar\`:\n${stale.map(describe).join("\n")}\n`);
    return 1;
  }
  const changed = writeGrammarFiles(root);
  process.stdout.write(changed.length === 0 ? "grammar files already up to date\n" : `updated:\n${changed.map(describe).join("\n")}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`generate-grammar: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
