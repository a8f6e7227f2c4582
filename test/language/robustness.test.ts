// No input makes the parser or analyzer throw: random bytes, random tokens, every prefix of real recipes.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checkRecipe } from "../../src/language/service.js";
import { formatRecipe } from "../../src/language/formatter.js";
import { fixturesDir } from "../support/paths.js";
import { mulberry32 } from "../../src/util/random.js";

const rng = mulberry32;

const file = join(fixturesDir("invalid"), "fuzz.merge");
const check = (text: string): void => {
  const r = checkRecipe(text, file, { models: null });
  assert.ok(Array.isArray(r.diagnostics));
  formatRecipe(text);
};

test("random bytes never make the analyzer throw", () => {
  const next = rng(1);
  for (let i = 0; i < 300; i++) {
    const len = Math.floor(next() * 200);
    let s = "";
    for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(next() * 256));
    check(s);
  }
});

test("random token soup never makes the analyzer throw", () => {
  const next = rng(2);
  const pieces = ["ties", "(", ")", "[", "]", "{", "}", ",", ":", "=", "where", "layers", "0..3", "1", "20%", '"s"', '"open', "a", "base", "+", "-", "*", "/", "\n", ";", "#c\n", "model", "save", "ramp", "pcb", "true", "..", "density", "scope"];
  for (let i = 0; i < 500; i++) {
    const n = Math.floor(next() * 40);
    const parts: string[] = [];
    for (let j = 0; j < n; j++) parts.push(pieces[Math.floor(next() * pieces.length)]!);
    check(parts.join(" "));
  }
});

test("every prefix of the corpus recipes (truncated files) checks without throwing", () => {
  for (const dir of [fixturesDir("invalid"), fixturesDir("spec-examples")]) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".merge"))) {
      const text = readFileSync(join(dir, f), "utf8");
      for (let i = 0; i <= text.length; i += 3) check(text.slice(0, i));
    }
  }
});
