import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import vm from "node:vm";
import type { ISerializedGast } from "chevrotain";
import { referencedResources, SERIALIZED_GRAMMAR_FILE, SYNTAX_DIAGRAMS_FILE } from "../../scripts/grammar/outputs.js";
import { repoRoot } from "../support/paths.js";

const pagePath = join(repoRoot(), SYNTAX_DIAGRAMS_FILE);
const page = readFileSync(pagePath, "utf8");

test("the syntax diagram page loads nothing from the network", () => {
  assert.doesNotMatch(page, /https?:\/\//i);
  assert.doesNotMatch(page, /(?:src|href)\s*=\s*['"]\/\//); // protocol-relative
});

test("every file the page refers to exists next to it", () => {
  const refs = referencedResources(page);
  assert.ok(refs.some((r) => r.endsWith(".css")) && refs.filter((r) => r.endsWith(".js")).length >= 4, refs.join(", "));
  for (const ref of refs) assert.ok(existsSync(join(dirname(pagePath), ref)), `${ref} is missing`);
});

test("the page's own scripts render a diagram for every rule of the embedded grammar", () => {
  // Run the page's scripts as a browser would (globals on `window`), minus the DOM they attach to.
  const context = vm.createContext({});
  vm.runInContext("var window = this;", context);
  for (const ref of referencedResources(page).filter((r) => r.endsWith(".js"))) {
    vm.runInContext(readFileSync(join(dirname(pagePath), ref), "utf8"), context, { filename: ref });
  }
  const inline = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  vm.runInContext(inline.find((s) => s.includes("serializedGrammar ="))!, context);
  const embedded = (context as { serializedGrammar: ISerializedGast[] }).serializedGrammar;
  const snapshot = JSON.parse(readFileSync(join(repoRoot(), SERIALIZED_GRAMMAR_FILE), "utf8")) as ISerializedGast[];
  assert.deepEqual(JSON.parse(JSON.stringify(embedded)), snapshot);

  const builder = (context as { diagrams_builder: { buildSyntaxDiagramsText(rules: ISerializedGast[]): string } }).diagrams_builder;
  const html = builder.buildSyntaxDiagramsText(embedded);
  assert.equal(html.match(/<svg class="railroad-diagram"/g)?.length, snapshot.length);
  for (const rule of snapshot as (ISerializedGast & { name: string })[]) assert.ok(html.includes(`>${rule.name}</h2>`), rule.name);
  assert.ok(inline.some((s) => s.includes("main.drawDiagramsFromSerializedGrammar(")));
});
