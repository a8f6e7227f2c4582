import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LanguageConfiguration } from "../../scripts/grammar/language-configuration.js";
import { LANGUAGE_CONFIGURATION_FILE } from "../../scripts/grammar/outputs.js";
import { repoRoot } from "../support/paths.js";
import { regexProblems } from "./regex-compat.js";

const config = JSON.parse(readFileSync(join(repoRoot(), LANGUAGE_CONFIGURATION_FILE), "utf8")) as LanguageConfiguration;

test("the language configuration has comments, brackets, pairs, words and indentation", () => {
  assert.deepEqual(Object.keys(config).sort(), [
    "autoCloseBefore",
    "autoClosingPairs",
    "brackets",
    "comments",
    "indentationRules",
    "surroundingPairs",
    "wordPattern",
  ]);
  assert.equal(config.comments.lineComment, "#");
  assert.deepEqual(config.brackets, [
    ["(", ")"],
    ["[", "]"],
    ["{", "}"],
  ]);
  assert.deepEqual(config.autoClosingPairs.at(-1), { open: '"', close: '"', notIn: ["string", "comment"] });
  assert.deepEqual(config.surroundingPairs.at(-1), ['"', '"']);
});

test("its regexes compile and behave", () => {
  const { wordPattern, indentationRules } = config;
  for (const source of [wordPattern, indentationRules.increaseIndentPattern, indentationRules.decreaseIndentPattern]) {
    assert.deepEqual(regexProblems(source), [], source);
  }
  const words = (text: string) => text.match(new RegExp(wordPattern, "g"));
  assert.deepEqual(words("ties(a_1, density: 0.25, 20%, 1e-4)"), ["ties", "a_1", "density", "0.25", "20%", "1e-4"]);

  const increase = new RegExp(indentationRules.increaseIndentPattern);
  assert.ok(increase.test("merged = ties("));
  assert.ok(increase.test("  where layers 0..3 {  # comment"));
  assert.ok(increase.test("xs = ["));
  assert.ok(!increase.test("merged = ties(a, b)"));
  assert.ok(!increase.test("# a comment ending in ("));
  const decrease = new RegExp(indentationRules.decreaseIndentPattern);
  assert.ok(decrease.test("  )"));
  assert.ok(decrease.test("}"));
  assert.ok(!decrease.test("x = (a)"));
});
