import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatRecipe } from "../../src/language/formatter.js";
import { parseRecipe } from "../../src/language/parse.js";
import { fixturesDir } from "../support/paths.js";

const fmt = (s: string): string => {
  const r = formatRecipe(s);
  assert.ok(r.ok, "formats");
  return r.text;
};

test("canonical spacing, one statement per line, aligned where blocks, comments kept", () => {
  const src = [
    "# header",
    "a=model(\"x\") ;b = model( \"y\" )   # trailing",
    "",
    "",
    "",
    "m=ties(a,b,base:a,density:20%)",
    '   where "*.self_attn.*"{density:0.4}  # attn',
    "   where layers 0..3 {density:ramp(0.6,0.2)}",
    "x = 0.3*a+0.7*b",
  ].join("\n");
  assert.equal(
    fmt(src),
    [
      "# header",
      'a = model("x")',
      'b = model("y")  # trailing',
      "",
      "m = ties(a, b, base: a, density: 20%)",
      '  where "*.self_attn.*" { density: 0.4 }  # attn',
      "  where layers 0..3     { density: ramp(0.6, 0.2) }",
      "x = 0.3 * a + 0.7 * b",
      "",
    ].join("\n"),
  );
});

test("calls written one argument per line keep that layout and their comments", () => {
  const out = fmt("m = pcb(\n  a, # first\n  b,\n  base: c\n)\n");
  assert.equal(out, "m = pcb(\n  a,  # first\n  b,\n  base: c,\n)\n");
});

test("formatting is idempotent and keeps every comment on the corpus", () => {
  for (const dir of [fixturesDir("invalid"), fixturesDir("spec-examples")]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".merge"))) {
      const text = readFileSync(join(dir, f), "utf8");
      const r = formatRecipe(text);
      if (!r.ok) continue; // files with syntax errors are refused
      assert.equal(fmt(r.text), r.text, `${f} is not stable`);
      assert.deepEqual(
        parseRecipe(r.text).program.comments.map((c) => c.text.trim()),
        parseRecipe(text).program.comments.map((c) => c.text.trim()),
        `${f} lost a comment`,
      );
    }
  }
});

test("a recipe with syntax errors is refused with its errors", () => {
  const r = formatRecipe("a = ties(");
  assert.equal(r.ok, false);
});
