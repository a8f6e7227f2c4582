import { test } from "node:test";
import assert from "node:assert/strict";
import { createToken } from "../../src/language/chevrotain.js";
import * as T from "../../src/language/tokens.js";
import { charClass, escapeRegExp, leadingLiteral, literalOf, patternSource, wordAlternation } from "../../scripts/grammar/token-regex.js";

test("fixed tokens give their text from the label, checked against the pattern", () => {
  assert.equal(literalOf(T.DotDot), "..");
  assert.equal(literalOf(T.RBracket), "]");
  assert.equal(literalOf(T.Where), "where");
  assert.throws(() => literalOf(createToken({ name: "Arrow", pattern: /->/, label: "'=>'" })), /does not match its pattern/);
  assert.throws(() => literalOf(T.Identifier), /no quoted literal label/);
});

test("leading literals and escaping", () => {
  assert.equal(leadingLiteral(T.Comment), "#");
  assert.equal(leadingLiteral(T.StringLiteral), '"');
  assert.equal(leadingLiteral(createToken({ name: "X", pattern: /ab?c/ })), "a");
  assert.throws(() => leadingLiteral(T.Identifier), /does not start with a literal/);
  assert.equal(escapeRegExp("(a.b)[c]{d}|e*f+g?^$\\"), "\\(a\\.b\\)\\[c\\]\\{d\\}\\|e\\*f\\+g\\?\\^\\$\\\\");
  assert.equal(charClass(["[", "]", "-", "^", "a"]), "[\\[\\]\\-\\^a]");
  assert.equal(wordAlternation(["a", "b_c"]), "\\b(?:a|b_c)\\b");
});

test("pattern sources spell digits as ASCII ranges, inside and outside classes", () => {
  assert.equal(patternSource(createToken({ name: "N", pattern: /\d+[\d_]\\d/ })), "[0-9]+[0-9_]\\\\d");
  assert.equal(new RegExp(`^(?:${patternSource(T.NumberLiteral)})$`).test("1e-4"), true);
  assert.throws(() => patternSource(createToken({ name: "I", pattern: /x/i })), /flags/);
});
