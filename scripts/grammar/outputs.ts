/**
 * The generated editor files under `grammar/`: what they should contain (pure and deterministic), which
 * committed ones are stale, and writing them. The syntax diagrams load their scripts from copies under
 * `grammar/diagrams/`, so the page works offline and inside a webview.
 */
import type { ISerializedGast } from "chevrotain";
import { createSyntaxDiagramsCode } from "../../src/language/chevrotain.js";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix } from "node:path";
import { functionNames } from "../../src/language/catalog.js";
import { recipeParser } from "../../src/language/parser.js";
import { buildLanguageConfiguration } from "./language-configuration.js";
import { buildTextMateGrammar, LANGUAGE_ID } from "./textmate.js";

export interface GeneratedFile {
  /** Relative to the repository root, with `/` separators. */
  path: string;
  content: Buffer;
}

export const GRAMMAR_DIR = "grammar";
export const TEXTMATE_FILE = `${GRAMMAR_DIR}/${LANGUAGE_ID}.tmLanguage.json`;
export const LANGUAGE_CONFIGURATION_FILE = `${GRAMMAR_DIR}/language-configuration.json`;
export const SYNTAX_DIAGRAMS_FILE = `${GRAMMAR_DIR}/syntax-diagrams.html`;
export const SERIALIZED_GRAMMAR_FILE = `${GRAMMAR_DIR}/serialized-grammar.json`;
/** Owned entirely by the generator: files here that it does not produce count as stale. */
export const DIAGRAMS_DIR = `${GRAMMAR_DIR}/diagrams`;
const DIAGRAMS_BASE = "diagrams/"; // relative to the HTML page

function jsonText(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + "\n", "utf8");
}

/** The `src`/`href` targets of a page, in document order. */
export function referencedResources(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*(['"])([^'"]*)\1/g)].map((m) => m[2]!);
}

/** The `diagrams/` folder of the chevrotain package this repository resolves. */
function chevrotainDiagramsDir(root: string): string {
  let dir = dirname(createRequire(join(root, "package.json")).resolve("chevrotain"));
  while (!existsSync(join(dir, "package.json")) || (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name !== "chevrotain") {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the chevrotain package from ${root}`);
    dir = parent;
  }
  return dir;
}

/** Chevrotain's page, pointed at local copies of its scripts; whitespace tidied, one final newline. */
function syntaxDiagramsPage(rules: ISerializedGast[]): string {
  const html = createSyntaxDiagramsCode(rules, { resourceBase: DIAGRAMS_BASE, css: `${DIAGRAMS_BASE}diagrams.css` });
  const page = html.replace(/[ \t]+$/gm, "").replace(/\n{3,}/g, "\n\n").trim() + "\n";
  const remote = /\bhttps?:\/\/\S*/.exec(page);
  if (remote) throw new Error(`the syntax diagram page still refers to ${remote[0]}; it must work offline`);
  return page;
}

function diagramAssets(page: string, packageDir: string): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const ref of referencedResources(page)) {
    if (!ref.startsWith(DIAGRAMS_BASE) || posix.normalize(ref) !== ref || ref.includes("..")) {
      throw new Error(`unexpected resource '${ref}' in the syntax diagram page`);
    }
    const relative = ref.slice(DIAGRAMS_BASE.length);
    files.push({ path: `${GRAMMAR_DIR}/${ref}`, content: readFileSync(join(packageDir, "diagrams", ...relative.split("/"))) });
  }
  // The copied scripts are chevrotain's (Apache-2.0): ship its license with them.
  files.push({ path: `${DIAGRAMS_DIR}/LICENSE.txt`, content: readFileSync(join(packageDir, "LICENSE.txt")) });
  return files;
}

/** Every generated file with its exact bytes, in a fixed order. `root` is the repository root. */
export function generateGrammarFiles(root: string): GeneratedFile[] {
  const rules = recipeParser().getSerializedGastProductions();
  const page = syntaxDiagramsPage(rules);
  return [
    { path: TEXTMATE_FILE, content: jsonText(buildTextMateGrammar(rules, functionNames())) },
    { path: LANGUAGE_CONFIGURATION_FILE, content: jsonText(buildLanguageConfiguration()) },
    { path: SERIALIZED_GRAMMAR_FILE, content: jsonText(rules) },
    { path: SYNTAX_DIAGRAMS_FILE, content: Buffer.from(page, "utf8") },
    ...diagramAssets(page, chevrotainDiagramsDir(root)),
  ];
}

function filesUnder(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(root, `${dir}/${entry.name}`) : [`${dir}/${entry.name}`],
  );
}

export interface GrammarFileChange {
  path: string;
  change: "missing" | "differs" | "unexpected";
}

/** What regenerating would change in the committed files: missing, different, or left over in `grammar/diagrams/`. */
export function staleGrammarFiles(root: string, files: GeneratedFile[] = generateGrammarFiles(root)): GrammarFileChange[] {
  const changes: GrammarFileChange[] = [];
  for (const file of files) {
    const abs = join(root, ...file.path.split("/"));
    if (!existsSync(abs)) changes.push({ path: file.path, change: "missing" });
    else if (!readFileSync(abs).equals(file.content)) changes.push({ path: file.path, change: "differs" });
  }
  const expected = new Set(files.map((f) => f.path));
  for (const path of filesUnder(root, DIAGRAMS_DIR).sort()) {
    if (!expected.has(path)) changes.push({ path, change: "unexpected" });
  }
  return changes;
}

/** Brings `grammar/` up to date; returns what changed (empty when it already was). */
export function writeGrammarFiles(root: string, files: GeneratedFile[] = generateGrammarFiles(root)): GrammarFileChange[] {
  const changes = staleGrammarFiles(root, files);
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const { path, change } of changes) {
    const abs = join(root, ...path.split("/"));
    if (change === "unexpected") {
      rmSync(abs);
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, byPath.get(path)!.content);
  }
  return changes;
}
