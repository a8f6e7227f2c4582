/** Document links on the paths in `model("...")`: open the model's config.json (or its weights). */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { DocumentLink } from "vscode-languageserver/node";
import { walk, type Program } from "../language/ast.js";
import { CONFIG_FILE, INDEX_FILE, SINGLE_FILE } from "../io/model-header.js";
import { pathToUri, toLspRange } from "./convert.js";

/** The file a link to a model opens: config.json, the index or the weights; null when nothing is there. */
export function linkTarget(abs: string): string | null {
  let st;
  try {
    st = statSync(abs);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return abs;
  for (const f of [CONFIG_FILE, INDEX_FILE, SINGLE_FILE]) if (existsSync(join(abs, f))) return join(abs, f);
  return null;
}

export function documentLinks(program: Program, recipeDir: string): DocumentLink[] {
  const links: DocumentLink[] = [];
  walk(program, (n) => {
    if (n.kind !== "CallExpr" || n.callee.name !== "model") return;
    const arg = n.args.find((a) => (a.name === null || a.name.name === "path") && a.value?.kind === "StringLiteral");
    if (arg?.value?.kind !== "StringLiteral" || arg.value.value.trim() === "") return;
    const abs = isAbsolute(arg.value.value) ? arg.value.value : resolve(recipeDir, arg.value.value);
    const target = linkTarget(abs);
    if (!target) return;
    const r = toLspRange(arg.value.range);
    // Inside the quotes.
    r.start.character += 1;
    if (arg.value.terminated) r.end.character -= 1;
    links.push({ range: r, target: pathToUri(target), tooltip: abs });
  });
  return links;
}
