// Thousands of chained operators or signs get one located diagnostic from check, fmt and run,
// never "Maximum call stack size exceeded"; expressions up to the limit still work everywhere.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { MAX_EXPRESSION_DEPTH } from "../../src/language/cst-to-ast.js";
import { checkRecipe } from "../../src/language/service.js";
import { formatRecipe } from "../../src/language/formatter.js";
import { mergelang, workspace } from "./support.js";

const CASES: [string, string, RegExp][] = [
  ["10,000 lines of + 1", "x = 1\n" + "+ 1\n".repeat(10_000) + "print(x)\n", /^r\.merge:\d+:\d+: error expression-too-deep/m],
  ["10,000 unary minuses", "x = " + "-".repeat(10_000) + "1\nprint(x)\n", /^r\.merge:1:\d+: error expression-too-deep/m],
  ["10,000 spaced unary minuses", "x = " + "- ".repeat(10_000) + "1\nprint(x)\n", /^r\.merge:1:\d+: error expression-too-deep/m],
  ["a long product inside a call", "print(" + "2 * ".repeat(5_000) + "1)\n", /^r\.merge:1:\d+: error expression-too-deep/m],
];

for (const [what, text, where] of CASES) {
  test(`${what}: one located error from check, run and fmt, and no follow-on errors`, () => {
    const dir = workspace(text);
    for (const args of [["check"], ["run"], ["fmt", "--check"]]) {
      const r = mergelang(dir, ...args, "r.merge");
      assert.equal(r.status, 1, r.out);
      assert.doesNotMatch(r.out, /call stack|RangeError/);
      assert.match(r.out, where);
    }
    const checked = checkRecipe(text, join(dir, "r.merge"), { models: null });
    assert.deepEqual(checked.diagnostics.filter((d) => d.severity === "error").map((d) => d.code), ["expression-too-deep"]);
  });
}

test("an expression just under the limit checks, formats and runs", () => {
  // Brackets and operators together: 99 nested sums, then a long chain.
  const depth = MAX_EXPRESSION_DEPTH - 200;
  const text = "x = " + "(1 + ".repeat(99) + "1" + ")".repeat(99) + "\ny = x" + " + 1".repeat(depth) + "\nprint(y)\n";
  const dir = workspace(text);
  const r = mergelang(dir, "run", "r.merge");
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`^${100 + depth}$`, "m"));
  const f = formatRecipe(text);
  assert.ok(f.ok);
  writeFileSync(join(dir, "f.merge"), f.text);
  assert.equal(mergelang(dir, "check", "f.merge").status, 0);
});
