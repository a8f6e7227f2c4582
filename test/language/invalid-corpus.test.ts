// Every recipe in test/fixtures/invalid gets exactly the diagnostics its `# expect: CODE L:C` lines name.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { fixturesDir } from "../support/paths.js";

const dir = fixturesDir("invalid");
const files = readdirSync(dir).filter((f) => f.endsWith(".merge")).sort();

test("the invalid corpus has at least 40 recipes, several with 3+ errors", () => {
  assert.ok(files.length >= 40, `only ${files.length} recipes`);
  const multi = files.filter((f) => (readFileSync(join(dir, f), "utf8").match(/# expect: /g) ?? []).length >= 3);
  assert.ok(multi.length >= 3, `only ${multi.length} recipes with 3+ expected diagnostics`);
});

for (const file of files) {
  test(`invalid/${file}`, () => {
    const text = readFileSync(join(dir, file), "utf8");
    const expected = [...text.matchAll(/^# expect: ([a-z-]+) (\d+):(\d+)$/gm)].map((m) => `${m[1]} ${m[2]}:${m[3]}`).sort();
    assert.ok(expected.length > 0, "the recipe names no expected diagnostic");
    const wantHints = expected.some((e) => e.startsWith("unused-binding"));
    const got = checkRecipe(text, join(dir, file))
      .diagnostics.filter((d) => d.severity !== "hint" || wantHints)
      .map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`)
      .sort();
    assert.deepEqual(got, expected);
  });
}
